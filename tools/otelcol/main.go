// Command otelcol-temporal-c-test is the OpenTelemetry Collector that temporal-c's tests
// export to: the OTLP receiver, the file exporter (OTLP JSON, one object per line) and the
// debug exporter, nothing else.  go.mod and go.sum pin every module; scripts/install-deps.sh
// builds it into .deps/bin.  See tests/otel/README.md.
//
// This is the program the OpenTelemetry Collector Builder (ocb) generates for these
// components, written out by hand: ocb resolves modules with a strict `go mod tidy`, which also
// fetches the test-only dependencies of the file exporter, and the Go module proxy does not
// serve some of those (nor the internal modules of fileexporter v0.165.1, hence v0.165.0).
package main

import (
	"os"
	"runtime/debug"

	fileexporter "github.com/open-telemetry/opentelemetry-collector-contrib/exporter/fileexporter"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/connector"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/debugexporter"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"
)

// version is the collector core release the components come from.
const version = "0.165.0"

// module names a Go module as "path version", the version taken from the binary's build
// information (so from go.mod), for the `components` command.
func module(path string) string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range bi.Deps {
			if dep.Path == path {
				return path + " " + dep.Version
			}
		}
	}
	return path
}

func components() (otelcol.Factories, error) {
	var err error
	factories := otelcol.Factories{Telemetry: otelconftelemetry.NewFactory()}
	if factories.Extensions, err = otelcol.MakeFactoryMap[extension.Factory](); err != nil {
		return otelcol.Factories{}, err
	}
	if factories.Receivers, err = otelcol.MakeFactoryMap[receiver.Factory](
		otlpreceiver.NewFactory(),
	); err != nil {
		return otelcol.Factories{}, err
	}
	factories.ReceiverModules = map[component.Type]string{
		otlpreceiver.NewFactory().Type(): module("go.opentelemetry.io/collector/receiver/otlpreceiver"),
	}
	if factories.Exporters, err = otelcol.MakeFactoryMap[exporter.Factory](
		fileexporter.NewFactory(),
		debugexporter.NewFactory(),
	); err != nil {
		return otelcol.Factories{}, err
	}
	factories.ExporterModules = map[component.Type]string{
		fileexporter.NewFactory().Type():  module("github.com/open-telemetry/opentelemetry-collector-contrib/exporter/fileexporter"),
		debugexporter.NewFactory().Type(): module("go.opentelemetry.io/collector/exporter/debugexporter"),
	}
	if factories.Processors, err = otelcol.MakeFactoryMap[processor.Factory](); err != nil {
		return otelcol.Factories{}, err
	}
	if factories.Connectors, err = otelcol.MakeFactoryMap[connector.Factory](); err != nil {
		return otelcol.Factories{}, err
	}
	return factories, nil
}

func main() {
	set := otelcol.CollectorSettings{
		BuildInfo: component.BuildInfo{
			Command:     "otelcol-temporal-c-test",
			Description: "OpenTelemetry Collector for temporal-c's tests (OTLP in, OTLP JSON file out)",
			Version:     version,
		},
		Factories: components,
		ConfigProviderSettings: otelcol.ConfigProviderSettings{
			ResolverSettings: confmap.ResolverSettings{
				ProviderFactories: []confmap.ProviderFactory{
					envprovider.NewFactory(),
					fileprovider.NewFactory(),
				},
			},
		},
		ProviderModules: map[string]string{
			"env":  module("go.opentelemetry.io/collector/confmap/provider/envprovider"),
			"file": module("go.opentelemetry.io/collector/confmap/provider/fileprovider"),
		},
	}
	// cobra has already printed the error.
	if err := otelcol.NewCommand(set).Execute(); err != nil {
		os.Exit(1)
	}
}
