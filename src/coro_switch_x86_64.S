/*
 * Coroutine context switch for x86_64 (System V ABI).  See coro.c.
 *
 * void temporal__coro_switch(void **save_sp, void *load_sp)
 *   Saves the callee-saved registers, MXCSR and the x87 control word on the current stack,
 *   stores the stack pointer in *save_sp, loads load_sp and restores the same set from it.
 *
 * temporal__coro_trampoline: first "return" address of a new coroutine; calls
 *   r13(r12), i.e. entry(coro), which never returns.
 */
    .text
    .globl temporal__coro_switch
    .hidden temporal__coro_switch
    .type temporal__coro_switch, @function
temporal__coro_switch:
    .cfi_startproc
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .cfi_endproc
    .size temporal__coro_switch, .-temporal__coro_switch

    .globl temporal__coro_trampoline
    .hidden temporal__coro_trampoline
    .type temporal__coro_trampoline, @function
temporal__coro_trampoline:
    .cfi_startproc
    .cfi_undefined rip
    movq %r12, %rdi
    callq *%r13
    ud2
    .cfi_endproc
    .size temporal__coro_trampoline, .-temporal__coro_trampoline

    .section .note.GNU-stack,"",@progbits
