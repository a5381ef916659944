/* cfi-cases.S -- functions whose call-frame information the walker's tests choose byte by byte.
 *
 * Each is int NAME(int (*cb)(void *), void *arg): it calls cb(arg) with the stack aligned as
 * the ABI wants, and describes its frame in one particular way (x86-64 only).
 */
    .text

/* Described the way GNU ld describes a lazy PLT entry (16-byte blocks, one more word pushed
 * from byte 11 on): CFA = rsp + 8 + ((rip & 15) >= 11) * 8. */
    .globl ut_plt_shaped
    .type ut_plt_shaped, @function
    .p2align 4
ut_plt_shaped:
    .cfi_startproc
    .cfi_escape 0x0f, 0x0b, 0x77, 0x08, 0x80, 0x00, 0x3f, 0x1a, 0x3b, 0x2a, 0x33, 0x24, 0x22
    movq %rdi, %rax             /* bytes 0-2 */
    movq %rsi, %rdi             /* bytes 3-5 */
    .byte 0x68, 0x78, 0x56, 0x34, 0x12 /* bytes 6-10: pushq $0x12345678, as a PLT pushes */
    call *%rax                  /* bytes 11-12: returns to byte 13, CFA = rsp + 16 */
    addq $8, %rsp               /* bytes 13-16 */
    ret                         /* byte 17, block offset 1: CFA = rsp + 8 */
    .cfi_endproc
    .size ut_plt_shaped, .-ut_plt_shaped

/* The CFA is stored in the frame and described by DW_CFA_def_cfa_expression: [rsp]. */
    .globl ut_cfa_in_memory
    .type ut_cfa_in_memory, @function
    .p2align 4
ut_cfa_in_memory:
    .cfi_startproc
    leaq 8(%rsp), %rax
    pushq %rax
    .cfi_escape 0x0f, 0x03, 0x77, 0x00, 0x06 /* DW_OP_breg7 0, DW_OP_deref */
    movq %rdi, %rax
    movq %rsi, %rdi
    call *%rax
    popq %rcx
    .cfi_def_cfa %rsp, 8
    ret
    .cfi_endproc
    .size ut_cfa_in_memory, .-ut_cfa_in_memory

/* The CFA expression reads address 16, never mapped: the walk must stop at this frame. */
    .globl ut_cfa_unreadable
    .type ut_cfa_unreadable, @function
    .p2align 4
ut_cfa_unreadable:
    .cfi_startproc
    subq $8, %rsp
    .cfi_escape 0x0f, 0x02, 0x40, 0x06 /* DW_OP_lit16, DW_OP_deref */
    movq %rdi, %rax
    movq %rsi, %rdi
    call *%rax
    addq $8, %rsp
    .cfi_def_cfa %rsp, 8
    ret
    .cfi_endproc
    .size ut_cfa_unreadable, .-ut_cfa_unreadable

/* A CFA opcode of another architecture (DW_CFA_GNU_window_save, SPARC's and AArch64's 0x2d;
 * ld accepts it, unlike an undefined one, which costs the whole program its .eh_frame_hdr): an
 * x86-64 walker cannot follow it and stops. */
    .globl ut_unknown_opcode
    .type ut_unknown_opcode, @function
    .p2align 4
ut_unknown_opcode:
    .cfi_startproc
    subq $8, %rsp
    .cfi_adjust_cfa_offset 8
    .cfi_escape 0x2d
    movq %rdi, %rax
    movq %rsi, %rdi
    call *%rax
    addq $8, %rsp
    .cfi_adjust_cfa_offset -8
    ret
    .cfi_endproc
    .size ut_unknown_opcode, .-ut_unknown_opcode

/* The return address is undefined, as in _start and clone: this is the outermost frame. */
    .globl ut_outermost
    .type ut_outermost, @function
    .p2align 4
ut_outermost:
    .cfi_startproc
    subq $8, %rsp
    .cfi_adjust_cfa_offset 8
    .cfi_undefined %rip
    movq %rdi, %rax
    movq %rsi, %rdi
    call *%rax
    addq $8, %rsp
    .cfi_adjust_cfa_offset -8
    ret
    .cfi_endproc
    .size ut_outermost, .-ut_outermost

/* The return address is copied to rbx (callee-saved) and described by DW_CFA_register. */
    .globl ut_ra_in_rbx
    .type ut_ra_in_rbx, @function
    .p2align 4
ut_ra_in_rbx:
    .cfi_startproc
    pushq %rbx
    .cfi_adjust_cfa_offset 8
    .cfi_offset %rbx, -16
    movq 8(%rsp), %rbx
    .cfi_register %rip, %rbx
    movq %rdi, %rax
    movq %rsi, %rdi
    call *%rax
    .cfi_restore %rip
    popq %rbx
    .cfi_adjust_cfa_offset -8
    .cfi_restore %rbx
    ret
    .cfi_endproc
    .size ut_ra_in_rbx, .-ut_ra_in_rbx

/* An early return between DW_CFA_remember_state and DW_CFA_restore_state, with the CFA on rbp,
 * as compilers write functions with several exits. */
    .globl ut_remembered
    .type ut_remembered, @function
    .p2align 4
ut_remembered:
    .cfi_startproc
    pushq %rbp
    .cfi_adjust_cfa_offset 8
    .cfi_offset %rbp, -16
    movq %rsp, %rbp
    .cfi_def_cfa_register %rbp
    testq %rdi, %rdi
    jne 1f
    .cfi_remember_state
    popq %rbp
    .cfi_def_cfa %rsp, 8
    .cfi_restore %rbp
    xorl %eax, %eax
    ret
1:
    .cfi_restore_state
    movq %rdi, %rax
    movq %rsi, %rdi
    call *%rax
    popq %rbp
    .cfi_def_cfa %rsp, 8
    .cfi_restore %rbp
    ret
    .cfi_endproc
    .size ut_remembered, .-ut_remembered

/* Four nested DW_CFA_remember_state: deeper than the walker keeps (two), a stop. */
    .globl ut_remembered_too_deep
    .type ut_remembered_too_deep, @function
    .p2align 4
ut_remembered_too_deep:
    .cfi_startproc
    subq $8, %rsp
    .cfi_adjust_cfa_offset 8
    .cfi_remember_state
    .cfi_remember_state
    .cfi_remember_state
    .cfi_remember_state
    movq %rdi, %rax
    movq %rsi, %rdi
    call *%rax
    .cfi_restore_state
    .cfi_restore_state
    .cfi_restore_state
    .cfi_restore_state
    addq $8, %rsp
    .cfi_adjust_cfa_offset -8
    ret
    .cfi_endproc
    .size ut_remembered_too_deep, .-ut_remembered_too_deep

/* A personality routine and an LSDA, as every C++ function with a cleanup or a catch has: the
 * CIE's augmentation is "zPLR" and the FDE carries an LSDA pointer, both to be skipped. */
    .globl ut_with_personality
    .type ut_with_personality, @function
    .p2align 4
ut_with_personality:
    .cfi_startproc
    .cfi_personality 0x9b, ut_personality_ref /* indirect, pc-relative, sdata4 */
    .cfi_lsda 0x1b, ut_lsda                   /* pc-relative, sdata4 */
    subq $8, %rsp
    .cfi_adjust_cfa_offset 8
    movq %rdi, %rax
    movq %rsi, %rdi
    call *%rax
    addq $8, %rsp
    .cfi_adjust_cfa_offset -8
    ret
    .cfi_endproc
    .size ut_with_personality, .-ut_with_personality

    .type ut_personality, @function
ut_personality: /* never called: no exception passes through */
    ud2
    .size ut_personality, .-ut_personality

    .section .data.rel.local, "aw"
    .p2align 3
ut_personality_ref:
    .quad ut_personality

    .section .rodata
ut_lsda:
    .byte 0xff, 0xff, 0x01, 0x00 /* an empty call-site table */

    .section .note.GNU-stack, "", @progbits
