/* sim_plat_fiber_x86_64.S: the fiber context switch for x86-64 (System V ABI).
 *
 * int sim__fiber_jump(void **save_sp, void *to_sp)
 *   Pushes the callee-saved registers (rbp, rbx, r12-r15) on the current
 *   stack, stores the stack pointer in
 *   *save_sp, loads to_sp, pops the same frame from there and returns 0 into
 *   the other fiber (its own call of sim__fiber_jump returns). Everything else
 *   is caller-saved in this ABI, so the C caller has already spilled what it
 *   needs. No system call, no signal mask.
 *
 *   The MXCSR and the x87 control word are not switched: the ABI makes their
 *   control bits callee-saved only across calls that change them, and nothing
 *   in weft changes them (the `layering` test forbids it outside tests/), so
 *   every fiber of a thread runs with the thread's FP environment. Saving and
 *   restoring them was about 5 ns of a 12 ns round trip (ldmxcsr and fldcw
 *   serialise). A fiber that needs an FP environment of its own asks for it
 *   (sim_fiber_desc.own_fp_env) and sim_plat_fiber.c switches it in C.
 *
 *   The return is an indirect jump through the popped return address, not
 *   `ret`: the return predictor would always guess the caller on the stack we
 *   left (a misprediction per switch, about 6 ns on the machines we measured;
 *   see bench/bench_fiber.c), while the indirect predictor learns the pattern.
 *   With Intel CET's indirect branch tracking on, return addresses are not
 *   landing pads, so `ret` is used there.
 *
 * A saved frame, from the saved stack pointer up (56 bytes):
 *   +0  r15   +8  r14   +16 r13   +24 r12   +32 rbx   +40 rbp
 *   +48 return address
 * sim_plat_fiber.c builds the first frame of a new fiber by hand: r12 = the
 * fiber, r13 = its C start function, rbp = 0, return address =
 * sim__fiber_trampoline, saved stack pointer = 16-byte aligned top - 56.
 *
 * void sim__fiber_trampoline(void)
 *   Where a new fiber's first switch "returns" to: calls start(fiber) with the
 *   stack 16-byte aligned. start never returns. The CFI marks the
 *   return address undefined so that debuggers and unwinders stop here.
 *
 * Assembled only where sim_plat_fiber.c uses it (same conditions).
 */
#if defined(__x86_64__) && defined(__ELF__) && !defined(SIM_FIBER_UCONTEXT)

#if defined(__CET__) && (__CET__ & 1)
#define FIBER_ENDBR endbr64
#else
#define FIBER_ENDBR
#endif

    .text

    .globl  sim__fiber_jump
    .hidden sim__fiber_jump
    .type   sim__fiber_jump, @function
    .p2align 4
sim__fiber_jump:
    .cfi_startproc
    FIBER_ENDBR
    pushq   %rbp
    .cfi_adjust_cfa_offset 8
    pushq   %rbx
    .cfi_adjust_cfa_offset 8
    pushq   %r12
    .cfi_adjust_cfa_offset 8
    pushq   %r13
    .cfi_adjust_cfa_offset 8
    pushq   %r14
    .cfi_adjust_cfa_offset 8
    pushq   %r15
    .cfi_adjust_cfa_offset 8

    movq    %rsp, (%rdi)
    movq    %rsi, %rsp

    /* The incoming frame has the same layout: the CFI above still holds. */
    popq    %r15
    .cfi_adjust_cfa_offset -8
    popq    %r14
    .cfi_adjust_cfa_offset -8
    popq    %r13
    .cfi_adjust_cfa_offset -8
    popq    %r12
    .cfi_adjust_cfa_offset -8
    popq    %rbx
    .cfi_adjust_cfa_offset -8
    popq    %rbp
    .cfi_adjust_cfa_offset -8
    xorl    %eax, %eax
#if defined(__CET__) && (__CET__ & 1)
    ret
#else
    popq    %rcx
    .cfi_adjust_cfa_offset -8
    .cfi_register rip, rcx
    jmp     *%rcx
#endif
    .cfi_endproc
    .size   sim__fiber_jump, .-sim__fiber_jump

    .globl  sim__fiber_trampoline
    .hidden sim__fiber_trampoline
    .type   sim__fiber_trampoline, @function
    .p2align 4
sim__fiber_trampoline:
    .cfi_startproc
    .cfi_undefined rip
    movq    %r12, %rdi
    callq   *%r13
    ud2
    .cfi_endproc
    .size   sim__fiber_trampoline, .-sim__fiber_trampoline

#endif

    .section .note.GNU-stack, "", @progbits
