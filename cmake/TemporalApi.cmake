# Temporal API bindings, generated at build time and never committed.
#
# The official Temporal API descriptors are taken from the pinned `temporalio` PyPI
# package in ${TEMPORAL_VENV} (tools/extract_descriptors.py writes a FileDescriptorSet of
# temporal/api/* and everything it imports, rewritten for protobuf-c 1.4), then
# `protoc --descriptor_set_in=... --c_out=...` generates C into the build tree.
# The same descriptor set carries the OpenTelemetry protocol (OTLP) metrics and trace
# services from the pinned `opentelemetry-proto` package, for the OTLP exporter (otel.c).
# Result: the OBJECT library `temporal_api_proto`, folded into libtemporal.

set(TEMPORAL_API_DIR ${CMAKE_BINARY_DIR}/temporal-api)
set(_python ${TEMPORAL_VENV}/bin/python)
if(NOT EXISTS ${_python})
  message(FATAL_ERROR "No Python virtualenv at ${TEMPORAL_VENV}: run scripts/install-deps.sh "
                      "(or `make`), which installs the pinned temporalio package there.")
endif()
find_program(PROTOC protoc REQUIRED)
find_program(PROTOC_GEN_C protoc-gen-c REQUIRED)

# Re-run the extraction whenever the extractor or the installed temporalio changes.
file(GLOB _temporalio_meta ${TEMPORAL_VENV}/lib/python*/site-packages/temporalio-*.dist-info/METADATA)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
             ${CMAKE_SOURCE_DIR}/tools/extract_descriptors.py ${_temporalio_meta})

file(MAKE_DIRECTORY ${TEMPORAL_API_DIR}/gen)
execute_process(
  COMMAND ${_python} ${CMAKE_SOURCE_DIR}/tools/extract_descriptors.py
          ${TEMPORAL_API_DIR}/temporal-api.pb.new ${TEMPORAL_API_DIR}/files.txt
          ${TEMPORAL_API_DIR}/version.txt
  OUTPUT_VARIABLE _extract_out ERROR_VARIABLE _extract_err RESULT_VARIABLE _extract_rc)
if(NOT _extract_rc EQUAL 0)
  message(FATAL_ERROR "Extracting the Temporal API descriptors failed:\n${_extract_err}")
endif()
# Keep the old file (and its timestamp) when nothing changed, so nothing regenerates.
file(COPY_FILE ${TEMPORAL_API_DIR}/temporal-api.pb.new ${TEMPORAL_API_DIR}/temporal-api.pb
     ONLY_IF_DIFFERENT)
string(STRIP "${_extract_out}" _extract_out)
message(STATUS "${_extract_out}")
file(STRINGS ${TEMPORAL_API_DIR}/version.txt TEMPORAL_API_SOURCE_VERSION LIMIT_COUNT 1)
file(STRINGS ${TEMPORAL_API_DIR}/files.txt _proto_files)

set(_gen_sources "")
set(_gen_all "")
foreach(_proto IN LISTS _proto_files)
  string(REGEX REPLACE "\\.proto$" "" _stem ${_proto})
  list(APPEND _gen_all ${TEMPORAL_API_DIR}/gen/${_stem}.pb-c.c ${TEMPORAL_API_DIR}/gen/${_stem}.pb-c.h)
  # The Cloud operations API is not used by clients or workers; generate it, don't compile it.
  if(NOT _proto MATCHES "^temporal/api/cloud/")
    list(APPEND _gen_sources ${TEMPORAL_API_DIR}/gen/${_stem}.pb-c.c)
  endif()
endforeach()

add_custom_command(
  OUTPUT ${_gen_all}
  COMMAND ${PROTOC} --plugin=protoc-gen-c=${PROTOC_GEN_C}
          --descriptor_set_in=${TEMPORAL_API_DIR}/temporal-api.pb
          --c_out=${TEMPORAL_API_DIR}/gen ${_proto_files}
  DEPENDS ${TEMPORAL_API_DIR}/temporal-api.pb
  COMMENT "Generating C for the Temporal API (temporalio ${TEMPORAL_API_SOURCE_VERSION})"
  VERBATIM)

add_library(temporal_api_proto OBJECT ${_gen_sources})
target_include_directories(temporal_api_proto PUBLIC ${TEMPORAL_API_DIR}/gen)
target_link_libraries(temporal_api_proto PUBLIC PkgConfig::PROTOBUF_C)
# Generated code is not ours to lint.
target_compile_options(temporal_api_proto PRIVATE -w)
