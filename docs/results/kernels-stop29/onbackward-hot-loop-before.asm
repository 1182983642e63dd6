G_M000_IG67:                ;; offset=0x090F
       movsxd   rcx, edi
       vbroadcastss ymm1, dword ptr [r15+4*rcx]
       movsxd   r11, r10d
       imul     r11, r13
       mov      rsi, bword ptr [rbp-0x180]
       lea      r11, bword ptr [rsi+4*r11]
       test     r8d, r8d
       jle      SHORT G_M000_IG69
 
G_M000_IG68:                ;; offset=0x092F
       movsxd   rsi, r14d
       vmovups  ymm2, ymmword ptr [rdx+4*rsi]
       vfmadd231ps ymm0, ymm2, ymmword ptr [rax+4*rsi]
       vfmadd213ps ymm2, ymm1, ymmword ptr [r11+4*rsi]
       vmovups  ymmword ptr [r11+4*rsi], ymm2
       add      r14d, 8
       cmp      r14d, r8d
       jl       SHORT G_M000_IG68
 
G_M000_IG69:                ;; offset=0x0952
       vmovaps  ymm1, ymm0
       vpermilps xmm2, xmm1, -79
       vaddps   xmm1, xmm2, xmm1
       vpermilps xmm2, xmm1, 78
       vaddps   xmm1, xmm2, xmm1
       vextractf128 xmm0, ymm0
       vpermilps xmm2, xmm0, -79
       vaddps   xmm0, xmm2, xmm0
       vpermilps xmm2, xmm0, 78
       vaddps   xmm0, xmm2, xmm0
       vaddss   xmm0, xmm1, xmm0
       vmovss   xmm1, dword ptr [r15+4*rcx]
       cmp      r14d, r9d
       jl       G_M000_IG110
 
G_M000_IG70:                ;; offset=0x0997
       mov      r11, bword ptr [rbp-0x1C0]
       vmovss   dword ptr [r11+4*rcx], xmm0
 
G_M000_IG71:                ;; offset=0x09A4
       inc      r12d
       inc      edi
       inc      ebx
       inc      r10d
       mov      esi, dword ptr [rbp-0xF4]
       cmp      r12d, esi
       jge      G_M000_IG79
 
G_M000_IG72:                ;; offset=0x09BD
       mov      ecx, dword ptr [rbp-0x90]
       mov      r14, bword ptr [rbp-0x178]
 
G_M000_IG73:                ;; offset=0x09CA
       movsxd   rax, ebx
       imul     rax, r13
       lea      rax, bword ptr [r14+4*rax]
       vxorps   ymm0, ymm0, ymm0
       xor      r14d, r14d
       test     ecx, ecx
       jne      G_M000_IG67
 
G_M000_IG74:                ;; offset=0x09E4
       test     r8d, r8d
       jle      SHORT G_M000_IG76
       align    [7 bytes for IG75]
 
G_M000_IG75:                ;; offset=0x09F0
       movsxd   rcx, r14d
       vmovups  ymm1, ymmword ptr [rax+4*rcx]
       movsxd   rcx, r14d
       vfmadd231ps ymm0, ymm1, ymmword ptr [rdx+4*rcx]
       add      r14d, 8
       cmp      r14d, r8d
       jl       SHORT G_M000_IG75
 
G_M000_IG76:                ;; offset=0x0A0A
       vmovaps  ymm1, ymm0
       vpermilps xmm2, xmm1, -79
       vaddps   xmm1, xmm2, xmm1
       vpermilps xmm2, xmm1, 78
       vaddps   xmm1, xmm2, xmm1
       vextractf128 xmm0, ymm0
       vpermilps xmm2, xmm0, -79
       vaddps   xmm0, xmm2, xmm0
       vpermilps xmm2, xmm0, 78
       vaddps   xmm0, xmm2, xmm0
       vaddss   xmm0, xmm1, xmm0
       cmp      r14d, r9d
       jl       G_M000_IG111
 
G_M000_IG77:                ;; offset=0x0A49
       movsxd   rcx, edi
       mov      r11, bword ptr [rbp-0x1C0]
       vmovss   dword ptr [r11+4*rcx], xmm0
       jmp      G_M000_IG71
 
