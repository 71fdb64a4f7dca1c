;; MD5 of four single-block messages at once, one per 32-bit lane of a v128 (md5x4.ts).
;; This is the source of the module md5x4.ts builds byte by byte in moduleBytes() (no toolchain at
;; build or run time); test/wasm-sources.test.ts assembles this file and checks that the two agree
;; byte for byte, so a change to either must be made to both. RFC 1321's steps, unrolled.
;;
;; Memory (one page): bytes 0..32767 input, 128 groups of 16 lane-interleaved message words (256
;; bytes a group: word j of lanes 0-3 at 16*j); bytes 32768.. output, 64 bytes a group (a, b, c, d,
;; each four lanes). f(groups) hashes `groups` groups.
;; module sha256: 2a03528122c45e52247153c27d413495c430e99eb4b1339d132c3b863e625fd5
;; source sha256: 37267867fa70797ff25251b546d72c9bde776a46f301307aa60374a239f90c0e
(module
  (memory (export "m") 1)
  (func (export "f") (param $groups i32)
    (local $pin i32) (local $pout i32)
    (local $a v128) (local $b v128) (local $c v128) (local $d v128)
    (local $m0 v128) (local $m1 v128) (local $m2 v128) (local $m3 v128)
    (local $m4 v128) (local $m5 v128) (local $m6 v128) (local $m7 v128)
    (local $m8 v128) (local $m9 v128) (local $m10 v128) (local $m11 v128)
    (local $m12 v128) (local $m13 v128) (local $m14 v128) (local $m15 v128)
    (local $t v128)
    i32.const 0 local.set $pin
    i32.const 32768 local.set $pout
    block
    loop
      local.get $groups i32.eqz br_if 1
      ;; the 16 message words of the group's four blocks
      local.get $pin v128.load offset=0 local.set $m0
      local.get $pin v128.load offset=16 local.set $m1
      local.get $pin v128.load offset=32 local.set $m2
      local.get $pin v128.load offset=48 local.set $m3
      local.get $pin v128.load offset=64 local.set $m4
      local.get $pin v128.load offset=80 local.set $m5
      local.get $pin v128.load offset=96 local.set $m6
      local.get $pin v128.load offset=112 local.set $m7
      local.get $pin v128.load offset=128 local.set $m8
      local.get $pin v128.load offset=144 local.set $m9
      local.get $pin v128.load offset=160 local.set $m10
      local.get $pin v128.load offset=176 local.set $m11
      local.get $pin v128.load offset=192 local.set $m12
      local.get $pin v128.load offset=208 local.set $m13
      local.get $pin v128.load offset=224 local.set $m14
      local.get $pin v128.load offset=240 local.set $m15
      ;; a, b, c, d = the initial chaining values, in every lane
      v128.const i32x4 0x67452301 0x67452301 0x67452301 0x67452301 local.set $a
      v128.const i32x4 0xefcdab89 0xefcdab89 0xefcdab89 0xefcdab89 local.set $b
      v128.const i32x4 0x98badcfe 0x98badcfe 0x98badcfe 0x98badcfe local.set $c
      v128.const i32x4 0x10325476 0x10325476 0x10325476 0x10325476 local.set $d
      ;; F (rounds 1, 2: bitselect; 3: b ^ c ^ d; 4: c ^ (b | ~d)); t = a + F + m[g] + K[i]
      ;; step 0: $a = $b + rotl($a + F + m0 + K[0], 7)
      local.get $c local.get $d local.get $b v128.bitselect
      local.get $a i32x4.add local.get $m0 i32x4.add v128.const i32x4 0xd76aa478 0xd76aa478 0xd76aa478 0xd76aa478 i32x4.add local.tee $t
      i32.const 7 i32x4.shl local.get $t i32.const 25 i32x4.shr_u v128.or local.get $b i32x4.add local.set $a
      ;; step 1: $d = $a + rotl($d + F + m1 + K[1], 12)
      local.get $b local.get $c local.get $a v128.bitselect
      local.get $d i32x4.add local.get $m1 i32x4.add v128.const i32x4 0xe8c7b756 0xe8c7b756 0xe8c7b756 0xe8c7b756 i32x4.add local.tee $t
      i32.const 12 i32x4.shl local.get $t i32.const 20 i32x4.shr_u v128.or local.get $a i32x4.add local.set $d
      ;; step 2: $c = $d + rotl($c + F + m2 + K[2], 17)
      local.get $a local.get $b local.get $d v128.bitselect
      local.get $c i32x4.add local.get $m2 i32x4.add v128.const i32x4 0x242070db 0x242070db 0x242070db 0x242070db i32x4.add local.tee $t
      i32.const 17 i32x4.shl local.get $t i32.const 15 i32x4.shr_u v128.or local.get $d i32x4.add local.set $c
      ;; step 3: $b = $c + rotl($b + F + m3 + K[3], 22)
      local.get $d local.get $a local.get $c v128.bitselect
      local.get $b i32x4.add local.get $m3 i32x4.add v128.const i32x4 0xc1bdceee 0xc1bdceee 0xc1bdceee 0xc1bdceee i32x4.add local.tee $t
      i32.const 22 i32x4.shl local.get $t i32.const 10 i32x4.shr_u v128.or local.get $c i32x4.add local.set $b
      ;; step 4: $a = $b + rotl($a + F + m4 + K[4], 7)
      local.get $c local.get $d local.get $b v128.bitselect
      local.get $a i32x4.add local.get $m4 i32x4.add v128.const i32x4 0xf57c0faf 0xf57c0faf 0xf57c0faf 0xf57c0faf i32x4.add local.tee $t
      i32.const 7 i32x4.shl local.get $t i32.const 25 i32x4.shr_u v128.or local.get $b i32x4.add local.set $a
      ;; step 5: $d = $a + rotl($d + F + m5 + K[5], 12)
      local.get $b local.get $c local.get $a v128.bitselect
      local.get $d i32x4.add local.get $m5 i32x4.add v128.const i32x4 0x4787c62a 0x4787c62a 0x4787c62a 0x4787c62a i32x4.add local.tee $t
      i32.const 12 i32x4.shl local.get $t i32.const 20 i32x4.shr_u v128.or local.get $a i32x4.add local.set $d
      ;; step 6: $c = $d + rotl($c + F + m6 + K[6], 17)
      local.get $a local.get $b local.get $d v128.bitselect
      local.get $c i32x4.add local.get $m6 i32x4.add v128.const i32x4 0xa8304613 0xa8304613 0xa8304613 0xa8304613 i32x4.add local.tee $t
      i32.const 17 i32x4.shl local.get $t i32.const 15 i32x4.shr_u v128.or local.get $d i32x4.add local.set $c
      ;; step 7: $b = $c + rotl($b + F + m7 + K[7], 22)
      local.get $d local.get $a local.get $c v128.bitselect
      local.get $b i32x4.add local.get $m7 i32x4.add v128.const i32x4 0xfd469501 0xfd469501 0xfd469501 0xfd469501 i32x4.add local.tee $t
      i32.const 22 i32x4.shl local.get $t i32.const 10 i32x4.shr_u v128.or local.get $c i32x4.add local.set $b
      ;; step 8: $a = $b + rotl($a + F + m8 + K[8], 7)
      local.get $c local.get $d local.get $b v128.bitselect
      local.get $a i32x4.add local.get $m8 i32x4.add v128.const i32x4 0x698098d8 0x698098d8 0x698098d8 0x698098d8 i32x4.add local.tee $t
      i32.const 7 i32x4.shl local.get $t i32.const 25 i32x4.shr_u v128.or local.get $b i32x4.add local.set $a
      ;; step 9: $d = $a + rotl($d + F + m9 + K[9], 12)
      local.get $b local.get $c local.get $a v128.bitselect
      local.get $d i32x4.add local.get $m9 i32x4.add v128.const i32x4 0x8b44f7af 0x8b44f7af 0x8b44f7af 0x8b44f7af i32x4.add local.tee $t
      i32.const 12 i32x4.shl local.get $t i32.const 20 i32x4.shr_u v128.or local.get $a i32x4.add local.set $d
      ;; step 10: $c = $d + rotl($c + F + m10 + K[10], 17)
      local.get $a local.get $b local.get $d v128.bitselect
      local.get $c i32x4.add local.get $m10 i32x4.add v128.const i32x4 0xffff5bb1 0xffff5bb1 0xffff5bb1 0xffff5bb1 i32x4.add local.tee $t
      i32.const 17 i32x4.shl local.get $t i32.const 15 i32x4.shr_u v128.or local.get $d i32x4.add local.set $c
      ;; step 11: $b = $c + rotl($b + F + m11 + K[11], 22)
      local.get $d local.get $a local.get $c v128.bitselect
      local.get $b i32x4.add local.get $m11 i32x4.add v128.const i32x4 0x895cd7be 0x895cd7be 0x895cd7be 0x895cd7be i32x4.add local.tee $t
      i32.const 22 i32x4.shl local.get $t i32.const 10 i32x4.shr_u v128.or local.get $c i32x4.add local.set $b
      ;; step 12: $a = $b + rotl($a + F + m12 + K[12], 7)
      local.get $c local.get $d local.get $b v128.bitselect
      local.get $a i32x4.add local.get $m12 i32x4.add v128.const i32x4 0x6b901122 0x6b901122 0x6b901122 0x6b901122 i32x4.add local.tee $t
      i32.const 7 i32x4.shl local.get $t i32.const 25 i32x4.shr_u v128.or local.get $b i32x4.add local.set $a
      ;; step 13: $d = $a + rotl($d + F + m13 + K[13], 12)
      local.get $b local.get $c local.get $a v128.bitselect
      local.get $d i32x4.add local.get $m13 i32x4.add v128.const i32x4 0xfd987193 0xfd987193 0xfd987193 0xfd987193 i32x4.add local.tee $t
      i32.const 12 i32x4.shl local.get $t i32.const 20 i32x4.shr_u v128.or local.get $a i32x4.add local.set $d
      ;; step 14: $c = $d + rotl($c + F + m14 + K[14], 17)
      local.get $a local.get $b local.get $d v128.bitselect
      local.get $c i32x4.add local.get $m14 i32x4.add v128.const i32x4 0xa679438e 0xa679438e 0xa679438e 0xa679438e i32x4.add local.tee $t
      i32.const 17 i32x4.shl local.get $t i32.const 15 i32x4.shr_u v128.or local.get $d i32x4.add local.set $c
      ;; step 15: $b = $c + rotl($b + F + m15 + K[15], 22)
      local.get $d local.get $a local.get $c v128.bitselect
      local.get $b i32x4.add local.get $m15 i32x4.add v128.const i32x4 0x49b40821 0x49b40821 0x49b40821 0x49b40821 i32x4.add local.tee $t
      i32.const 22 i32x4.shl local.get $t i32.const 10 i32x4.shr_u v128.or local.get $c i32x4.add local.set $b
      ;; step 16: $a = $b + rotl($a + F + m1 + K[16], 5)
      local.get $b local.get $c local.get $d v128.bitselect
      local.get $a i32x4.add local.get $m1 i32x4.add v128.const i32x4 0xf61e2562 0xf61e2562 0xf61e2562 0xf61e2562 i32x4.add local.tee $t
      i32.const 5 i32x4.shl local.get $t i32.const 27 i32x4.shr_u v128.or local.get $b i32x4.add local.set $a
      ;; step 17: $d = $a + rotl($d + F + m6 + K[17], 9)
      local.get $a local.get $b local.get $c v128.bitselect
      local.get $d i32x4.add local.get $m6 i32x4.add v128.const i32x4 0xc040b340 0xc040b340 0xc040b340 0xc040b340 i32x4.add local.tee $t
      i32.const 9 i32x4.shl local.get $t i32.const 23 i32x4.shr_u v128.or local.get $a i32x4.add local.set $d
      ;; step 18: $c = $d + rotl($c + F + m11 + K[18], 14)
      local.get $d local.get $a local.get $b v128.bitselect
      local.get $c i32x4.add local.get $m11 i32x4.add v128.const i32x4 0x265e5a51 0x265e5a51 0x265e5a51 0x265e5a51 i32x4.add local.tee $t
      i32.const 14 i32x4.shl local.get $t i32.const 18 i32x4.shr_u v128.or local.get $d i32x4.add local.set $c
      ;; step 19: $b = $c + rotl($b + F + m0 + K[19], 20)
      local.get $c local.get $d local.get $a v128.bitselect
      local.get $b i32x4.add local.get $m0 i32x4.add v128.const i32x4 0xe9b6c7aa 0xe9b6c7aa 0xe9b6c7aa 0xe9b6c7aa i32x4.add local.tee $t
      i32.const 20 i32x4.shl local.get $t i32.const 12 i32x4.shr_u v128.or local.get $c i32x4.add local.set $b
      ;; step 20: $a = $b + rotl($a + F + m5 + K[20], 5)
      local.get $b local.get $c local.get $d v128.bitselect
      local.get $a i32x4.add local.get $m5 i32x4.add v128.const i32x4 0xd62f105d 0xd62f105d 0xd62f105d 0xd62f105d i32x4.add local.tee $t
      i32.const 5 i32x4.shl local.get $t i32.const 27 i32x4.shr_u v128.or local.get $b i32x4.add local.set $a
      ;; step 21: $d = $a + rotl($d + F + m10 + K[21], 9)
      local.get $a local.get $b local.get $c v128.bitselect
      local.get $d i32x4.add local.get $m10 i32x4.add v128.const i32x4 0x02441453 0x02441453 0x02441453 0x02441453 i32x4.add local.tee $t
      i32.const 9 i32x4.shl local.get $t i32.const 23 i32x4.shr_u v128.or local.get $a i32x4.add local.set $d
      ;; step 22: $c = $d + rotl($c + F + m15 + K[22], 14)
      local.get $d local.get $a local.get $b v128.bitselect
      local.get $c i32x4.add local.get $m15 i32x4.add v128.const i32x4 0xd8a1e681 0xd8a1e681 0xd8a1e681 0xd8a1e681 i32x4.add local.tee $t
      i32.const 14 i32x4.shl local.get $t i32.const 18 i32x4.shr_u v128.or local.get $d i32x4.add local.set $c
      ;; step 23: $b = $c + rotl($b + F + m4 + K[23], 20)
      local.get $c local.get $d local.get $a v128.bitselect
      local.get $b i32x4.add local.get $m4 i32x4.add v128.const i32x4 0xe7d3fbc8 0xe7d3fbc8 0xe7d3fbc8 0xe7d3fbc8 i32x4.add local.tee $t
      i32.const 20 i32x4.shl local.get $t i32.const 12 i32x4.shr_u v128.or local.get $c i32x4.add local.set $b
      ;; step 24: $a = $b + rotl($a + F + m9 + K[24], 5)
      local.get $b local.get $c local.get $d v128.bitselect
      local.get $a i32x4.add local.get $m9 i32x4.add v128.const i32x4 0x21e1cde6 0x21e1cde6 0x21e1cde6 0x21e1cde6 i32x4.add local.tee $t
      i32.const 5 i32x4.shl local.get $t i32.const 27 i32x4.shr_u v128.or local.get $b i32x4.add local.set $a
      ;; step 25: $d = $a + rotl($d + F + m14 + K[25], 9)
      local.get $a local.get $b local.get $c v128.bitselect
      local.get $d i32x4.add local.get $m14 i32x4.add v128.const i32x4 0xc33707d6 0xc33707d6 0xc33707d6 0xc33707d6 i32x4.add local.tee $t
      i32.const 9 i32x4.shl local.get $t i32.const 23 i32x4.shr_u v128.or local.get $a i32x4.add local.set $d
      ;; step 26: $c = $d + rotl($c + F + m3 + K[26], 14)
      local.get $d local.get $a local.get $b v128.bitselect
      local.get $c i32x4.add local.get $m3 i32x4.add v128.const i32x4 0xf4d50d87 0xf4d50d87 0xf4d50d87 0xf4d50d87 i32x4.add local.tee $t
      i32.const 14 i32x4.shl local.get $t i32.const 18 i32x4.shr_u v128.or local.get $d i32x4.add local.set $c
      ;; step 27: $b = $c + rotl($b + F + m8 + K[27], 20)
      local.get $c local.get $d local.get $a v128.bitselect
      local.get $b i32x4.add local.get $m8 i32x4.add v128.const i32x4 0x455a14ed 0x455a14ed 0x455a14ed 0x455a14ed i32x4.add local.tee $t
      i32.const 20 i32x4.shl local.get $t i32.const 12 i32x4.shr_u v128.or local.get $c i32x4.add local.set $b
      ;; step 28: $a = $b + rotl($a + F + m13 + K[28], 5)
      local.get $b local.get $c local.get $d v128.bitselect
      local.get $a i32x4.add local.get $m13 i32x4.add v128.const i32x4 0xa9e3e905 0xa9e3e905 0xa9e3e905 0xa9e3e905 i32x4.add local.tee $t
      i32.const 5 i32x4.shl local.get $t i32.const 27 i32x4.shr_u v128.or local.get $b i32x4.add local.set $a
      ;; step 29: $d = $a + rotl($d + F + m2 + K[29], 9)
      local.get $a local.get $b local.get $c v128.bitselect
      local.get $d i32x4.add local.get $m2 i32x4.add v128.const i32x4 0xfcefa3f8 0xfcefa3f8 0xfcefa3f8 0xfcefa3f8 i32x4.add local.tee $t
      i32.const 9 i32x4.shl local.get $t i32.const 23 i32x4.shr_u v128.or local.get $a i32x4.add local.set $d
      ;; step 30: $c = $d + rotl($c + F + m7 + K[30], 14)
      local.get $d local.get $a local.get $b v128.bitselect
      local.get $c i32x4.add local.get $m7 i32x4.add v128.const i32x4 0x676f02d9 0x676f02d9 0x676f02d9 0x676f02d9 i32x4.add local.tee $t
      i32.const 14 i32x4.shl local.get $t i32.const 18 i32x4.shr_u v128.or local.get $d i32x4.add local.set $c
      ;; step 31: $b = $c + rotl($b + F + m12 + K[31], 20)
      local.get $c local.get $d local.get $a v128.bitselect
      local.get $b i32x4.add local.get $m12 i32x4.add v128.const i32x4 0x8d2a4c8a 0x8d2a4c8a 0x8d2a4c8a 0x8d2a4c8a i32x4.add local.tee $t
      i32.const 20 i32x4.shl local.get $t i32.const 12 i32x4.shr_u v128.or local.get $c i32x4.add local.set $b
      ;; step 32: $a = $b + rotl($a + F + m5 + K[32], 4)
      local.get $b local.get $c v128.xor local.get $d v128.xor
      local.get $a i32x4.add local.get $m5 i32x4.add v128.const i32x4 0xfffa3942 0xfffa3942 0xfffa3942 0xfffa3942 i32x4.add local.tee $t
      i32.const 4 i32x4.shl local.get $t i32.const 28 i32x4.shr_u v128.or local.get $b i32x4.add local.set $a
      ;; step 33: $d = $a + rotl($d + F + m8 + K[33], 11)
      local.get $a local.get $b v128.xor local.get $c v128.xor
      local.get $d i32x4.add local.get $m8 i32x4.add v128.const i32x4 0x8771f681 0x8771f681 0x8771f681 0x8771f681 i32x4.add local.tee $t
      i32.const 11 i32x4.shl local.get $t i32.const 21 i32x4.shr_u v128.or local.get $a i32x4.add local.set $d
      ;; step 34: $c = $d + rotl($c + F + m11 + K[34], 16)
      local.get $d local.get $a v128.xor local.get $b v128.xor
      local.get $c i32x4.add local.get $m11 i32x4.add v128.const i32x4 0x6d9d6122 0x6d9d6122 0x6d9d6122 0x6d9d6122 i32x4.add local.tee $t
      i32.const 16 i32x4.shl local.get $t i32.const 16 i32x4.shr_u v128.or local.get $d i32x4.add local.set $c
      ;; step 35: $b = $c + rotl($b + F + m14 + K[35], 23)
      local.get $c local.get $d v128.xor local.get $a v128.xor
      local.get $b i32x4.add local.get $m14 i32x4.add v128.const i32x4 0xfde5380c 0xfde5380c 0xfde5380c 0xfde5380c i32x4.add local.tee $t
      i32.const 23 i32x4.shl local.get $t i32.const 9 i32x4.shr_u v128.or local.get $c i32x4.add local.set $b
      ;; step 36: $a = $b + rotl($a + F + m1 + K[36], 4)
      local.get $b local.get $c v128.xor local.get $d v128.xor
      local.get $a i32x4.add local.get $m1 i32x4.add v128.const i32x4 0xa4beea44 0xa4beea44 0xa4beea44 0xa4beea44 i32x4.add local.tee $t
      i32.const 4 i32x4.shl local.get $t i32.const 28 i32x4.shr_u v128.or local.get $b i32x4.add local.set $a
      ;; step 37: $d = $a + rotl($d + F + m4 + K[37], 11)
      local.get $a local.get $b v128.xor local.get $c v128.xor
      local.get $d i32x4.add local.get $m4 i32x4.add v128.const i32x4 0x4bdecfa9 0x4bdecfa9 0x4bdecfa9 0x4bdecfa9 i32x4.add local.tee $t
      i32.const 11 i32x4.shl local.get $t i32.const 21 i32x4.shr_u v128.or local.get $a i32x4.add local.set $d
      ;; step 38: $c = $d + rotl($c + F + m7 + K[38], 16)
      local.get $d local.get $a v128.xor local.get $b v128.xor
      local.get $c i32x4.add local.get $m7 i32x4.add v128.const i32x4 0xf6bb4b60 0xf6bb4b60 0xf6bb4b60 0xf6bb4b60 i32x4.add local.tee $t
      i32.const 16 i32x4.shl local.get $t i32.const 16 i32x4.shr_u v128.or local.get $d i32x4.add local.set $c
      ;; step 39: $b = $c + rotl($b + F + m10 + K[39], 23)
      local.get $c local.get $d v128.xor local.get $a v128.xor
      local.get $b i32x4.add local.get $m10 i32x4.add v128.const i32x4 0xbebfbc70 0xbebfbc70 0xbebfbc70 0xbebfbc70 i32x4.add local.tee $t
      i32.const 23 i32x4.shl local.get $t i32.const 9 i32x4.shr_u v128.or local.get $c i32x4.add local.set $b
      ;; step 40: $a = $b + rotl($a + F + m13 + K[40], 4)
      local.get $b local.get $c v128.xor local.get $d v128.xor
      local.get $a i32x4.add local.get $m13 i32x4.add v128.const i32x4 0x289b7ec6 0x289b7ec6 0x289b7ec6 0x289b7ec6 i32x4.add local.tee $t
      i32.const 4 i32x4.shl local.get $t i32.const 28 i32x4.shr_u v128.or local.get $b i32x4.add local.set $a
      ;; step 41: $d = $a + rotl($d + F + m0 + K[41], 11)
      local.get $a local.get $b v128.xor local.get $c v128.xor
      local.get $d i32x4.add local.get $m0 i32x4.add v128.const i32x4 0xeaa127fa 0xeaa127fa 0xeaa127fa 0xeaa127fa i32x4.add local.tee $t
      i32.const 11 i32x4.shl local.get $t i32.const 21 i32x4.shr_u v128.or local.get $a i32x4.add local.set $d
      ;; step 42: $c = $d + rotl($c + F + m3 + K[42], 16)
      local.get $d local.get $a v128.xor local.get $b v128.xor
      local.get $c i32x4.add local.get $m3 i32x4.add v128.const i32x4 0xd4ef3085 0xd4ef3085 0xd4ef3085 0xd4ef3085 i32x4.add local.tee $t
      i32.const 16 i32x4.shl local.get $t i32.const 16 i32x4.shr_u v128.or local.get $d i32x4.add local.set $c
      ;; step 43: $b = $c + rotl($b + F + m6 + K[43], 23)
      local.get $c local.get $d v128.xor local.get $a v128.xor
      local.get $b i32x4.add local.get $m6 i32x4.add v128.const i32x4 0x04881d05 0x04881d05 0x04881d05 0x04881d05 i32x4.add local.tee $t
      i32.const 23 i32x4.shl local.get $t i32.const 9 i32x4.shr_u v128.or local.get $c i32x4.add local.set $b
      ;; step 44: $a = $b + rotl($a + F + m9 + K[44], 4)
      local.get $b local.get $c v128.xor local.get $d v128.xor
      local.get $a i32x4.add local.get $m9 i32x4.add v128.const i32x4 0xd9d4d039 0xd9d4d039 0xd9d4d039 0xd9d4d039 i32x4.add local.tee $t
      i32.const 4 i32x4.shl local.get $t i32.const 28 i32x4.shr_u v128.or local.get $b i32x4.add local.set $a
      ;; step 45: $d = $a + rotl($d + F + m12 + K[45], 11)
      local.get $a local.get $b v128.xor local.get $c v128.xor
      local.get $d i32x4.add local.get $m12 i32x4.add v128.const i32x4 0xe6db99e5 0xe6db99e5 0xe6db99e5 0xe6db99e5 i32x4.add local.tee $t
      i32.const 11 i32x4.shl local.get $t i32.const 21 i32x4.shr_u v128.or local.get $a i32x4.add local.set $d
      ;; step 46: $c = $d + rotl($c + F + m15 + K[46], 16)
      local.get $d local.get $a v128.xor local.get $b v128.xor
      local.get $c i32x4.add local.get $m15 i32x4.add v128.const i32x4 0x1fa27cf8 0x1fa27cf8 0x1fa27cf8 0x1fa27cf8 i32x4.add local.tee $t
      i32.const 16 i32x4.shl local.get $t i32.const 16 i32x4.shr_u v128.or local.get $d i32x4.add local.set $c
      ;; step 47: $b = $c + rotl($b + F + m2 + K[47], 23)
      local.get $c local.get $d v128.xor local.get $a v128.xor
      local.get $b i32x4.add local.get $m2 i32x4.add v128.const i32x4 0xc4ac5665 0xc4ac5665 0xc4ac5665 0xc4ac5665 i32x4.add local.tee $t
      i32.const 23 i32x4.shl local.get $t i32.const 9 i32x4.shr_u v128.or local.get $c i32x4.add local.set $b
      ;; step 48: $a = $b + rotl($a + F + m0 + K[48], 6)
      local.get $c local.get $b local.get $d v128.not v128.or v128.xor
      local.get $a i32x4.add local.get $m0 i32x4.add v128.const i32x4 0xf4292244 0xf4292244 0xf4292244 0xf4292244 i32x4.add local.tee $t
      i32.const 6 i32x4.shl local.get $t i32.const 26 i32x4.shr_u v128.or local.get $b i32x4.add local.set $a
      ;; step 49: $d = $a + rotl($d + F + m7 + K[49], 10)
      local.get $b local.get $a local.get $c v128.not v128.or v128.xor
      local.get $d i32x4.add local.get $m7 i32x4.add v128.const i32x4 0x432aff97 0x432aff97 0x432aff97 0x432aff97 i32x4.add local.tee $t
      i32.const 10 i32x4.shl local.get $t i32.const 22 i32x4.shr_u v128.or local.get $a i32x4.add local.set $d
      ;; step 50: $c = $d + rotl($c + F + m14 + K[50], 15)
      local.get $a local.get $d local.get $b v128.not v128.or v128.xor
      local.get $c i32x4.add local.get $m14 i32x4.add v128.const i32x4 0xab9423a7 0xab9423a7 0xab9423a7 0xab9423a7 i32x4.add local.tee $t
      i32.const 15 i32x4.shl local.get $t i32.const 17 i32x4.shr_u v128.or local.get $d i32x4.add local.set $c
      ;; step 51: $b = $c + rotl($b + F + m5 + K[51], 21)
      local.get $d local.get $c local.get $a v128.not v128.or v128.xor
      local.get $b i32x4.add local.get $m5 i32x4.add v128.const i32x4 0xfc93a039 0xfc93a039 0xfc93a039 0xfc93a039 i32x4.add local.tee $t
      i32.const 21 i32x4.shl local.get $t i32.const 11 i32x4.shr_u v128.or local.get $c i32x4.add local.set $b
      ;; step 52: $a = $b + rotl($a + F + m12 + K[52], 6)
      local.get $c local.get $b local.get $d v128.not v128.or v128.xor
      local.get $a i32x4.add local.get $m12 i32x4.add v128.const i32x4 0x655b59c3 0x655b59c3 0x655b59c3 0x655b59c3 i32x4.add local.tee $t
      i32.const 6 i32x4.shl local.get $t i32.const 26 i32x4.shr_u v128.or local.get $b i32x4.add local.set $a
      ;; step 53: $d = $a + rotl($d + F + m3 + K[53], 10)
      local.get $b local.get $a local.get $c v128.not v128.or v128.xor
      local.get $d i32x4.add local.get $m3 i32x4.add v128.const i32x4 0x8f0ccc92 0x8f0ccc92 0x8f0ccc92 0x8f0ccc92 i32x4.add local.tee $t
      i32.const 10 i32x4.shl local.get $t i32.const 22 i32x4.shr_u v128.or local.get $a i32x4.add local.set $d
      ;; step 54: $c = $d + rotl($c + F + m10 + K[54], 15)
      local.get $a local.get $d local.get $b v128.not v128.or v128.xor
      local.get $c i32x4.add local.get $m10 i32x4.add v128.const i32x4 0xffeff47d 0xffeff47d 0xffeff47d 0xffeff47d i32x4.add local.tee $t
      i32.const 15 i32x4.shl local.get $t i32.const 17 i32x4.shr_u v128.or local.get $d i32x4.add local.set $c
      ;; step 55: $b = $c + rotl($b + F + m1 + K[55], 21)
      local.get $d local.get $c local.get $a v128.not v128.or v128.xor
      local.get $b i32x4.add local.get $m1 i32x4.add v128.const i32x4 0x85845dd1 0x85845dd1 0x85845dd1 0x85845dd1 i32x4.add local.tee $t
      i32.const 21 i32x4.shl local.get $t i32.const 11 i32x4.shr_u v128.or local.get $c i32x4.add local.set $b
      ;; step 56: $a = $b + rotl($a + F + m8 + K[56], 6)
      local.get $c local.get $b local.get $d v128.not v128.or v128.xor
      local.get $a i32x4.add local.get $m8 i32x4.add v128.const i32x4 0x6fa87e4f 0x6fa87e4f 0x6fa87e4f 0x6fa87e4f i32x4.add local.tee $t
      i32.const 6 i32x4.shl local.get $t i32.const 26 i32x4.shr_u v128.or local.get $b i32x4.add local.set $a
      ;; step 57: $d = $a + rotl($d + F + m15 + K[57], 10)
      local.get $b local.get $a local.get $c v128.not v128.or v128.xor
      local.get $d i32x4.add local.get $m15 i32x4.add v128.const i32x4 0xfe2ce6e0 0xfe2ce6e0 0xfe2ce6e0 0xfe2ce6e0 i32x4.add local.tee $t
      i32.const 10 i32x4.shl local.get $t i32.const 22 i32x4.shr_u v128.or local.get $a i32x4.add local.set $d
      ;; step 58: $c = $d + rotl($c + F + m6 + K[58], 15)
      local.get $a local.get $d local.get $b v128.not v128.or v128.xor
      local.get $c i32x4.add local.get $m6 i32x4.add v128.const i32x4 0xa3014314 0xa3014314 0xa3014314 0xa3014314 i32x4.add local.tee $t
      i32.const 15 i32x4.shl local.get $t i32.const 17 i32x4.shr_u v128.or local.get $d i32x4.add local.set $c
      ;; step 59: $b = $c + rotl($b + F + m13 + K[59], 21)
      local.get $d local.get $c local.get $a v128.not v128.or v128.xor
      local.get $b i32x4.add local.get $m13 i32x4.add v128.const i32x4 0x4e0811a1 0x4e0811a1 0x4e0811a1 0x4e0811a1 i32x4.add local.tee $t
      i32.const 21 i32x4.shl local.get $t i32.const 11 i32x4.shr_u v128.or local.get $c i32x4.add local.set $b
      ;; step 60: $a = $b + rotl($a + F + m4 + K[60], 6)
      local.get $c local.get $b local.get $d v128.not v128.or v128.xor
      local.get $a i32x4.add local.get $m4 i32x4.add v128.const i32x4 0xf7537e82 0xf7537e82 0xf7537e82 0xf7537e82 i32x4.add local.tee $t
      i32.const 6 i32x4.shl local.get $t i32.const 26 i32x4.shr_u v128.or local.get $b i32x4.add local.set $a
      ;; step 61: $d = $a + rotl($d + F + m11 + K[61], 10)
      local.get $b local.get $a local.get $c v128.not v128.or v128.xor
      local.get $d i32x4.add local.get $m11 i32x4.add v128.const i32x4 0xbd3af235 0xbd3af235 0xbd3af235 0xbd3af235 i32x4.add local.tee $t
      i32.const 10 i32x4.shl local.get $t i32.const 22 i32x4.shr_u v128.or local.get $a i32x4.add local.set $d
      ;; step 62: $c = $d + rotl($c + F + m2 + K[62], 15)
      local.get $a local.get $d local.get $b v128.not v128.or v128.xor
      local.get $c i32x4.add local.get $m2 i32x4.add v128.const i32x4 0x2ad7d2bb 0x2ad7d2bb 0x2ad7d2bb 0x2ad7d2bb i32x4.add local.tee $t
      i32.const 15 i32x4.shl local.get $t i32.const 17 i32x4.shr_u v128.or local.get $d i32x4.add local.set $c
      ;; step 63: $b = $c + rotl($b + F + m9 + K[63], 21)
      local.get $d local.get $c local.get $a v128.not v128.or v128.xor
      local.get $b i32x4.add local.get $m9 i32x4.add v128.const i32x4 0xeb86d391 0xeb86d391 0xeb86d391 0xeb86d391 i32x4.add local.tee $t
      i32.const 21 i32x4.shl local.get $t i32.const 11 i32x4.shr_u v128.or local.get $c i32x4.add local.set $b
      ;; the digest words: chaining value + initial value
      local.get $pout local.get $a v128.const i32x4 0x67452301 0x67452301 0x67452301 0x67452301 i32x4.add v128.store offset=0
      local.get $pout local.get $b v128.const i32x4 0xefcdab89 0xefcdab89 0xefcdab89 0xefcdab89 i32x4.add v128.store offset=16
      local.get $pout local.get $c v128.const i32x4 0x98badcfe 0x98badcfe 0x98badcfe 0x98badcfe i32x4.add v128.store offset=32
      local.get $pout local.get $d v128.const i32x4 0x10325476 0x10325476 0x10325476 0x10325476 i32x4.add v128.store offset=48
      local.get $pin i32.const 256 i32.add local.set $pin
      local.get $pout i32.const 64 i32.add local.set $pout
      local.get $groups i32.const 1 i32.sub local.set $groups
      br 0
    end
    end))
