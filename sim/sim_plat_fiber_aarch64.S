/* sim_plat_fiber_aarch64.S: the fiber context switch for AArch64 (AAPCS64).
 *
 * int sim__fiber_jump(void **save_sp, void *to_sp)
 *   Stores the callee-saved registers (x19-x28, the frame pointer x29, the
 *   link register x30 and the low halves d8-d15) in a 160-byte frame on the
 *   current stack, stores the stack pointer in *save_sp, loads to_sp, loads
 *   the same frame from there and returns 0 into the other fiber (its own
 *   call of sim__fiber_jump returns). No system call, no signal mask.
 *
 *   The return is `br x30`, not `ret`: the return predictor would guess the
 *   caller on the stack we left; the indirect predictor learns the pattern.
 *   With branch target identification on, return addresses are not landing
 *   pads, so `ret` is used there.
 *
 * A saved frame, from the saved stack pointer up (160 bytes, 16-aligned):
 *   +0   x19 x20   +16 x21 x22   +32 x23 x24   +48 x25 x26   +64 x27 x28
 *   +80  x29 x30 (x30: where the switch returns)
 *   +96  d8 d9     +112 d10 d11  +128 d12 d13  +144 d14 d15
 * sim_plat_fiber.c builds the first frame of a new fiber by hand: x19 = the
 * fiber, x20 = its C start function, x29 = 0, x30 = sim__fiber_trampoline,
 * saved stack pointer = 16-byte aligned top - 160.
 *
 * void sim__fiber_trampoline(void)
 *   Where a new fiber's first switch returns to: calls start(fiber).
 *   start never returns. The CFI marks the return address undefined so that
 *   debuggers and unwinders stop here.
 *
 * Assembled only where sim_plat_fiber.c uses it (same conditions).
 */
#if defined(__aarch64__) && defined(__ELF__) && !defined(SIM_FIBER_UCONTEXT)

#if defined(__ARM_FEATURE_BTI_DEFAULT) && __ARM_FEATURE_BTI_DEFAULT
#define FIBER_BTI_C hint #34
#else
#define FIBER_BTI_C
#endif

    .text

    .globl  sim__fiber_jump
    .hidden sim__fiber_jump
    .type   sim__fiber_jump, %function
    .p2align 4
sim__fiber_jump:
    .cfi_startproc
    FIBER_BTI_C
    sub     sp, sp, #160
    .cfi_adjust_cfa_offset 160
    stp     x19, x20, [sp, #0]
    stp     x21, x22, [sp, #16]
    stp     x23, x24, [sp, #32]
    stp     x25, x26, [sp, #48]
    stp     x27, x28, [sp, #64]
    stp     x29, x30, [sp, #80]
    stp     d8,  d9,  [sp, #96]
    stp     d10, d11, [sp, #112]
    stp     d12, d13, [sp, #128]
    stp     d14, d15, [sp, #144]

    mov     x9, sp
    str     x9, [x0]
    mov     sp, x1

    /* The incoming frame has the same layout: the CFI above still holds. */
    ldp     x19, x20, [sp, #0]
    ldp     x21, x22, [sp, #16]
    ldp     x23, x24, [sp, #32]
    ldp     x25, x26, [sp, #48]
    ldp     x27, x28, [sp, #64]
    ldp     x29, x30, [sp, #80]
    ldp     d8,  d9,  [sp, #96]
    ldp     d10, d11, [sp, #112]
    ldp     d12, d13, [sp, #128]
    ldp     d14, d15, [sp, #144]
    add     sp, sp, #160
    .cfi_adjust_cfa_offset -160
    mov     w0, #0
#if defined(__ARM_FEATURE_BTI_DEFAULT) && __ARM_FEATURE_BTI_DEFAULT
    ret
#else
    br      x30
#endif
    .cfi_endproc
    .size   sim__fiber_jump, .-sim__fiber_jump

    .globl  sim__fiber_trampoline
    .hidden sim__fiber_trampoline
    .type   sim__fiber_trampoline, %function
    .p2align 4
sim__fiber_trampoline:
    .cfi_startproc
    .cfi_undefined x30
    FIBER_BTI_C
    mov     x0, x19
    blr     x20
    brk     #0x1
    .cfi_endproc
    .size   sim__fiber_trampoline, .-sim__fiber_trampoline

#endif

    .section .note.GNU-stack, "", %progbits
