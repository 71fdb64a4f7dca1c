;; The byte loops of `dump --ndjson` (src/cli/ndjson-writer.ts), in WebAssembly with 128-bit SIMD:
;; a JavaScript loop checks about 0.7 GB/s of value bytes, the escaper here 16-64 at a time (~8-10
;; GB/s); `walk` writes whole record lines without returning to JS.
;; src/cli/json-escape-wasm.ts holds the assembled module; after editing this file rebuild it with
;;   node scripts/build-wasm.mjs   (needs `npx wat2wasm`, from the `wabt` package; not a dependency)
;; Memory is one fixed block that never grows (a growing memory would detach the views handed to
;; stdout.write): the JS side lays out input, constants and output slots in it.
;; module sha256: c4ffe491ff77f70d247fd3e6af08385e674302ee7e2e0e0b60ae187b8388981b
;; source sha256: 6369c0684e6fd1dbb380a9d1fbdbd0a47dd639df46ccab323e47437a34de3588
(module
  (memory (export "mem") 160)

  ;; memory.copy for the repeated parts of a line (the batch part, ~280 bytes per record).
  (func (export "copy") (param $d i32) (param $s i32) (param $n i32)
    (memory.copy (local.get $d) (local.get $s) (local.get $n)))

  ;; The body of a JSON string for the UTF-8 bytes [s, e), written at d, exactly as
  ;; JSON.stringify(bytes.toString('utf8')) encoded as UTF-8 would be when the bytes are valid UTF-8:
  ;; `"` and `\` escaped, \b \t \n \f \r, other C0 controls as \u00xx, everything else verbatim.
  ;; Returns the end of the output, or -1 when the bytes are not valid UTF-8 (the caller then takes
  ;; the exact replacement-character path). Reads up to 15 bytes past e and writes up to 16 bytes past
  ;; the returned end.
  (func $esc (export "esc") (param $s i32) (param $e i32) (param $d i32) (result i32)
    (local $v v128) (local $m i32) (local $c i32) (local $c1 i32) (local $n i32) (local $lo i32) (local $hi i32)
    (local $v1 v128) (local $v2 v128) (local $v3 v128) (local $c32 v128) (local $c34 v128) (local $c92 v128)
    (local.set $c32 (i8x16.splat (i32.const 32)))
    (local.set $c34 (i8x16.splat (i32.const 34)))
    (local.set $c92 (i8x16.splat (i32.const 92)))
    (loop $main
      (block $scalar
        ;; 64 bytes a turn while they are plain
        (block $wide
          (loop $w64
            (br_if $wide (i32.gt_u (i32.add (local.get $s) (i32.const 64)) (local.get $e)))
            (local.set $v (v128.load align=1 (local.get $s)))
            (local.set $v1 (v128.load offset=16 align=1 (local.get $s)))
            (local.set $v2 (v128.load offset=32 align=1 (local.get $s)))
            (local.set $v3 (v128.load offset=48 align=1 (local.get $s)))
            (v128.store align=1 (local.get $d) (local.get $v))
            (v128.store offset=16 align=1 (local.get $d) (local.get $v1))
            (v128.store offset=32 align=1 (local.get $d) (local.get $v2))
            (v128.store offset=48 align=1 (local.get $d) (local.get $v3))
            (br_if $wide (v128.any_true
              (v128.or
                (v128.or
                  (v128.or
                    (v128.or (i8x16.lt_s (local.get $v) (local.get $c32)) (i8x16.eq (local.get $v) (local.get $c34)))
                    (v128.or (i8x16.eq (local.get $v) (local.get $c92)) (i8x16.lt_s (local.get $v1) (local.get $c32))))
                  (v128.or
                    (v128.or (i8x16.eq (local.get $v1) (local.get $c34)) (i8x16.eq (local.get $v1) (local.get $c92)))
                    (v128.or (i8x16.lt_s (local.get $v2) (local.get $c32)) (i8x16.eq (local.get $v2) (local.get $c34)))))
                (v128.or
                  (v128.or (i8x16.eq (local.get $v2) (local.get $c92)) (i8x16.lt_s (local.get $v3) (local.get $c32)))
                  (v128.or (i8x16.eq (local.get $v3) (local.get $c34)) (i8x16.eq (local.get $v3) (local.get $c92)))))))
            (local.set $s (i32.add (local.get $s) (i32.const 64)))
            (local.set $d (i32.add (local.get $d) (i32.const 64)))
            (br $w64)))
        ;; 16 bytes a turn up to the first special byte
        (loop $simd
          (br_if $scalar (i32.gt_u (i32.add (local.get $s) (i32.const 16)) (local.get $e)))
          (local.set $v (v128.load align=1 (local.get $s)))
          (v128.store align=1 (local.get $d) (local.get $v))
          ;; signed < 0x20 catches C0 controls and every byte >= 0x80
          (local.set $m (i8x16.bitmask
            (v128.or
              (v128.or (i8x16.lt_s (local.get $v) (local.get $c32)) (i8x16.eq (local.get $v) (local.get $c34)))
              (i8x16.eq (local.get $v) (local.get $c92)))))
          (if (i32.eqz (local.get $m))
            (then
              (local.set $s (i32.add (local.get $s) (i32.const 16)))
              (local.set $d (i32.add (local.get $d) (i32.const 16)))
              (br $simd)))
          (local.set $m (i32.ctz (local.get $m)))
          (local.set $s (i32.add (local.get $s) (local.get $m)))
          (local.set $d (i32.add (local.get $d) (local.get $m)))))
      ;; one character at s
      (if (i32.ge_u (local.get $s) (local.get $e)) (then (return (local.get $d))))
      (local.set $c (i32.load8_u (local.get $s)))
      (if (i32.ge_u (local.get $c) (i32.const 0x80))
        (then
          ;; a UTF-8 sequence: length n and the range [lo, hi] of its second byte
          (local.set $lo (i32.const 0x80))
          (local.set $hi (i32.const 0xbf))
          (if (i32.lt_u (local.get $c) (i32.const 0xc2)) (then (return (i32.const -1))))
          (if (i32.lt_u (local.get $c) (i32.const 0xe0))
            (then (local.set $n (i32.const 2)))
            (else
              (if (i32.lt_u (local.get $c) (i32.const 0xf0))
                (then
                  (local.set $n (i32.const 3))
                  (if (i32.eq (local.get $c) (i32.const 0xe0)) (then (local.set $lo (i32.const 0xa0))))
                  (if (i32.eq (local.get $c) (i32.const 0xed)) (then (local.set $hi (i32.const 0x9f)))))
                (else
                  (if (i32.gt_u (local.get $c) (i32.const 0xf4)) (then (return (i32.const -1))))
                  (local.set $n (i32.const 4))
                  (if (i32.eq (local.get $c) (i32.const 0xf0)) (then (local.set $lo (i32.const 0x90))))
                  (if (i32.eq (local.get $c) (i32.const 0xf4)) (then (local.set $hi (i32.const 0x8f))))))))
          (if (i32.gt_u (i32.add (local.get $s) (local.get $n)) (local.get $e)) (then (return (i32.const -1))))
          (local.set $c1 (i32.load8_u offset=1 (local.get $s)))
          (if (i32.or (i32.lt_u (local.get $c1) (local.get $lo)) (i32.gt_u (local.get $c1) (local.get $hi)))
            (then (return (i32.const -1))))
          (if (i32.ge_u (local.get $n) (i32.const 3))
            (then
              (if (i32.ne (i32.and (i32.load8_u offset=2 (local.get $s)) (i32.const 0xc0)) (i32.const 0x80))
                (then (return (i32.const -1))))))
          (if (i32.eq (local.get $n) (i32.const 4))
            (then
              (if (i32.ne (i32.and (i32.load8_u offset=3 (local.get $s)) (i32.const 0xc0)) (i32.const 0x80))
                (then (return (i32.const -1))))))
          ;; copy the sequence (4 bytes written, n kept)
          (i32.store align=1 (local.get $d) (i32.load align=1 (local.get $s)))
          (local.set $s (i32.add (local.get $s) (local.get $n)))
          (local.set $d (i32.add (local.get $d) (local.get $n)))
          (br $main)))
      (block $done
        (if (i32.eq (local.get $c) (i32.const 0x22))
          (then (i32.store16 align=1 (local.get $d) (i32.const 0x225c)) (local.set $d (i32.add (local.get $d) (i32.const 2))) (br $done)))
        (if (i32.eq (local.get $c) (i32.const 0x5c))
          (then (i32.store16 align=1 (local.get $d) (i32.const 0x5c5c)) (local.set $d (i32.add (local.get $d) (i32.const 2))) (br $done)))
        (if (i32.ge_u (local.get $c) (i32.const 0x20))
          (then (i32.store8 (local.get $d) (local.get $c)) (local.set $d (i32.add (local.get $d) (i32.const 1))) (br $done)))
        ;; C0 control: \b \t \n \f \r, else \u00xx (lowercase hex)
        (local.set $m (i32.const 0))
        (if (i32.eq (local.get $c) (i32.const 8)) (then (local.set $m (i32.const 0x62))))
        (if (i32.eq (local.get $c) (i32.const 9)) (then (local.set $m (i32.const 0x74))))
        (if (i32.eq (local.get $c) (i32.const 10)) (then (local.set $m (i32.const 0x6e))))
        (if (i32.eq (local.get $c) (i32.const 12)) (then (local.set $m (i32.const 0x66))))
        (if (i32.eq (local.get $c) (i32.const 13)) (then (local.set $m (i32.const 0x72))))
        (if (local.get $m)
          (then
            (i32.store16 align=1 (local.get $d) (i32.or (i32.const 0x5c) (i32.shl (local.get $m) (i32.const 8))))
            (local.set $d (i32.add (local.get $d) (i32.const 2)))
            (br $done)))
        ;; "\u00" then two hex digits
        (i32.store align=1 (local.get $d) (i32.const 0x3030755c))
        (i32.store8 offset=4 (local.get $d) (i32.add (i32.const 0x30) (i32.shr_u (local.get $c) (i32.const 4))))
        (local.set $c (i32.and (local.get $c) (i32.const 15)))
        (i32.store8 offset=5 (local.get $d)
          (i32.add (local.get $c) (select (i32.const 0x57) (i32.const 0x30) (i32.ge_u (local.get $c) (i32.const 10)))))
        (local.set $d (i32.add (local.get $d) (i32.const 6))))
      (local.set $s (i32.add (local.get $s) (i32.const 1)))
      (br $main))
    (unreachable))

  ;; Lowercase hex of [s, e) at d (2 bytes per input byte); returns the end.
  (func $hex (export "hex") (param $s i32) (param $e i32) (param $d i32) (result i32)
    (local $v v128) (local $h v128) (local $l v128) (local $c i32)
    (block $tail
      (loop $simd
        (br_if $tail (i32.gt_u (i32.add (local.get $s) (i32.const 16)) (local.get $e)))
        (local.set $v (v128.load align=1 (local.get $s)))
        (local.set $h (i8x16.swizzle
          (v128.const i8x16 48 49 50 51 52 53 54 55 56 57 97 98 99 100 101 102)
          (i8x16.shr_u (local.get $v) (i32.const 4))))
        (local.set $l (i8x16.swizzle
          (v128.const i8x16 48 49 50 51 52 53 54 55 56 57 97 98 99 100 101 102)
          (v128.and (local.get $v) (v128.const i8x16 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15))))
        (v128.store align=1 (local.get $d)
          (i8x16.shuffle 0 16 1 17 2 18 3 19 4 20 5 21 6 22 7 23 (local.get $h) (local.get $l)))
        (v128.store offset=16 align=1 (local.get $d)
          (i8x16.shuffle 8 24 9 25 10 26 11 27 12 28 13 29 14 30 15 31 (local.get $h) (local.get $l)))
        (local.set $s (i32.add (local.get $s) (i32.const 16)))
        (local.set $d (i32.add (local.get $d) (i32.const 32)))
        (br $simd)))
    (block $end
      (loop $one
        (br_if $end (i32.ge_u (local.get $s) (local.get $e)))
        (local.set $c (i32.shr_u (i32.load8_u (local.get $s)) (i32.const 4)))
        (i32.store8 (local.get $d) (i32.add (local.get $c) (select (i32.const 0x57) (i32.const 0x30) (i32.ge_u (local.get $c) (i32.const 10)))))
        (local.set $c (i32.and (i32.load8_u (local.get $s)) (i32.const 15)))
        (i32.store8 offset=1 (local.get $d) (i32.add (local.get $c) (select (i32.const 0x57) (i32.const 0x30) (i32.ge_u (local.get $c) (i32.const 10)))))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (local.set $d (i32.add (local.get $d) (i32.const 2)))
        (br $one)))
    (local.get $d))

  ;; Base64 (standard alphabet, `=` padding) of [s, e) at d; returns the end. 12 input bytes to 16
  ;; characters per SIMD turn (reads up to 4 bytes past the 12), the last 1..11 bytes one group at a time.
  (func $b64 (export "b64") (param $s i32) (param $e i32) (param $d i32) (result i32)
    (local $x v128) (local $i v128) (local $r v128) (local $w i32) (local $n i32)
    (local $shuf v128) (local $m0 v128) (local $m1 v128) (local $m2 v128) (local $m3 v128)
    (local $c51 v128) (local $c13 v128) (local $c26 v128) (local $lut v128)
    ;; constants in locals: V8 rebuilds a v128.const inside a loop on every turn
    (local.set $shuf (v128.const i8x16 2 1 0 128 5 4 3 128 8 7 6 128 11 10 9 128))
    (local.set $m0 (v128.const i32x4 0x3f 0x3f 0x3f 0x3f))
    (local.set $m1 (v128.const i32x4 0x3f00 0x3f00 0x3f00 0x3f00))
    (local.set $m2 (v128.const i32x4 0x3f0000 0x3f0000 0x3f0000 0x3f0000))
    (local.set $m3 (v128.const i32x4 0x3f000000 0x3f000000 0x3f000000 0x3f000000))
    (local.set $c51 (i8x16.splat (i32.const 51)))
    (local.set $c13 (i8x16.splat (i32.const 13)))
    (local.set $c26 (i8x16.splat (i32.const 26)))
    (local.set $lut (v128.const i8x16 71 -4 -4 -4 -4 -4 -4 -4 -4 -4 -4 -19 -16 65 0 0))
    (block $tail
      (loop $simd
        (br_if $tail (i32.gt_u (i32.add (local.get $s) (i32.const 12)) (local.get $e)))
        ;; each 32-bit lane = a<<16 | b<<8 | c for one 3-byte group
        (local.set $x (i8x16.swizzle (v128.load align=1 (local.get $s)) (local.get $shuf)))
        ;; the four 6-bit indices as bytes 0..3 of each lane
        (local.set $i
          (v128.or
            (v128.or
              (v128.and (i32x4.shr_u (local.get $x) (i32.const 18)) (local.get $m0))
              (v128.and (i32x4.shr_u (local.get $x) (i32.const 4)) (local.get $m1)))
            (v128.or
              (v128.and (i32x4.shl (local.get $x) (i32.const 10)) (local.get $m2))
              (v128.and (i32x4.shl (local.get $x) (i32.const 24)) (local.get $m3)))))
        ;; index -> character: add an offset chosen by range (0-25 'A', 26-51 'a', 52-61 '0', 62 '+', 63 '/')
        (local.set $r (v128.bitselect
          (local.get $c13)
          (i8x16.sub_sat_u (local.get $i) (local.get $c51))
          (i8x16.gt_u (local.get $c26) (local.get $i))))
        (v128.store align=1 (local.get $d) (i8x16.add (local.get $i) (i8x16.swizzle (local.get $lut) (local.get $r))))
        (local.set $s (i32.add (local.get $s) (i32.const 12)))
        (local.set $d (i32.add (local.get $d) (i32.const 16)))
        (br $simd)))
    (block $end
      (loop $groups
        (local.set $n (i32.sub (local.get $e) (local.get $s)))
        (br_if $end (i32.le_s (local.get $n) (i32.const 0)))
        (local.set $w (i32.shl (i32.load8_u (local.get $s)) (i32.const 16)))
        (if (i32.gt_s (local.get $n) (i32.const 1))
          (then (local.set $w (i32.or (local.get $w) (i32.shl (i32.load8_u offset=1 (local.get $s)) (i32.const 8))))))
        (if (i32.gt_s (local.get $n) (i32.const 2))
          (then (local.set $w (i32.or (local.get $w) (i32.load8_u offset=2 (local.get $s))))))
        (i32.store8 (local.get $d) (call $b64c (i32.shr_u (local.get $w) (i32.const 18))))
        (i32.store8 offset=1 (local.get $d) (call $b64c (i32.and (i32.shr_u (local.get $w) (i32.const 12)) (i32.const 63))))
        (i32.store8 offset=2 (local.get $d)
          (select (call $b64c (i32.and (i32.shr_u (local.get $w) (i32.const 6)) (i32.const 63))) (i32.const 0x3d) (i32.gt_s (local.get $n) (i32.const 1))))
        (i32.store8 offset=3 (local.get $d)
          (select (call $b64c (i32.and (local.get $w) (i32.const 63))) (i32.const 0x3d) (i32.gt_s (local.get $n) (i32.const 2))))
        (local.set $s (i32.add (local.get $s) (i32.const 3)))
        (local.set $d (i32.add (local.get $d) (i32.const 4)))
        (br $groups)))
    (local.get $d))

  (func $b64c (param $i i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $i) (i32.const 26))
      (then (i32.add (local.get $i) (i32.const 65)))
      (else
        (if (result i32) (i32.lt_u (local.get $i) (i32.const 52))
          (then (i32.add (local.get $i) (i32.const 71)))
          (else
            (if (result i32) (i32.lt_u (local.get $i) (i32.const 62))
              (then (i32.sub (local.get $i) (i32.const 4)))
              (else (select (i32.const 43) (i32.const 47) (i32.eq (local.get $i) (i32.const 62))))))))))

  ;; ---------------------------------------------------------------- whole record lines
  ;; Templates and the digit-pair table live at fixed addresses of the constants area, which the JS
  ;; side fills (each template: u32 length, then the bytes).
  ;;   4194368 + 0    {"offset":            + 64   ,"timestamp":
  ;;           + 128  timestampType (+ ,"key":)      + 256  ,"value": (or empty)
  ;;           + 320  ,"headers":[]         + 384  ,"sequence":
  ;;           + 448  "00".."99" (200 bytes)          + 1024 ,"batch":{…}} and the newline
  (func $tpl (param $d i32) (param $a i32) (result i32)
    (local $n i32) (local $i i32)
    (local.set $n (i32.load (local.get $a)))
    (if (i32.gt_u (local.get $n) (i32.const 64))
      (then (memory.copy (local.get $d) (i32.add (local.get $a) (i32.const 4)) (local.get $n)))
      (else
        ;; short templates in 16-byte blocks (up to 15 bytes land in the output's slack)
        (loop $blocks
          (v128.store align=1 (i32.add (local.get $d) (local.get $i))
            (v128.load offset=4 align=1 (i32.add (local.get $a) (local.get $i))))
          (local.set $i (i32.add (local.get $i) (i32.const 16)))
          (br_if $blocks (i32.lt_u (local.get $i) (local.get $n))))))
    (i32.add (local.get $d) (local.get $n)))

  ;; decimal digits of x at d
  (func $u32 (param $d i32) (param $x i32) (result i32)
    (local $n i32) (local $end i32) (local $q i32)
    (local.set $n
      (select (i32.const 1)
        (select (i32.const 2)
          (select (i32.const 3)
            (select (i32.const 4)
              (select (i32.const 5)
                (select (i32.const 6)
                  (select (i32.const 7)
                    (select (i32.const 8)
                      (select (i32.const 9) (i32.const 10) (i32.lt_u (local.get $x) (i32.const 1000000000)))
                      (i32.lt_u (local.get $x) (i32.const 100000000)))
                    (i32.lt_u (local.get $x) (i32.const 10000000)))
                  (i32.lt_u (local.get $x) (i32.const 1000000)))
                (i32.lt_u (local.get $x) (i32.const 100000)))
              (i32.lt_u (local.get $x) (i32.const 10000)))
            (i32.lt_u (local.get $x) (i32.const 1000)))
          (i32.lt_u (local.get $x) (i32.const 100)))
        (i32.lt_u (local.get $x) (i32.const 10))))
    (local.set $end (i32.add (local.get $d) (local.get $n)))
    (local.set $d (local.get $end))
    (block $out
      (loop $pairs
        (br_if $out (i32.lt_u (local.get $n) (i32.const 2)))
        (local.set $q (i32.div_u (local.get $x) (i32.const 100)))
        (local.set $d (i32.sub (local.get $d) (i32.const 2)))
        (i32.store16 align=1 (local.get $d)
          (i32.load16_u offset=4194816 align=1
            (i32.shl (i32.sub (local.get $x) (i32.mul (local.get $q) (i32.const 100))) (i32.const 1))))
        (local.set $x (local.get $q))
        (local.set $n (i32.sub (local.get $n) (i32.const 2)))
        (br $pairs)))
    (if (local.get $n)
      (then (i32.store8 (i32.sub (local.get $d) (i32.const 1)) (i32.add (local.get $x) (i32.const 0x30)))))
    (local.get $end))

  ;; a safe integer (|v| < 2^53) in decimal
  (func $num (param $d i32) (param $f f64) (result i32)
    (local $v i64) (local $hi i32) (local $lo i32) (local $q i32) (local $k i32)
    (local.set $v (i64.trunc_sat_f64_s (local.get $f)))
    (if (i64.lt_s (local.get $v) (i64.const 0))
      (then
        (i32.store8 (local.get $d) (i32.const 0x2d))
        (local.set $d (i32.add (local.get $d) (i32.const 1)))
        (local.set $v (i64.sub (i64.const 0) (local.get $v)))))
    (if (i64.lt_u (local.get $v) (i64.const 4294967296))
      (then (return (call $u32 (local.get $d) (i32.wrap_i64 (local.get $v))))))
    (local.set $hi (i32.wrap_i64 (i64.div_u (local.get $v) (i64.const 100000000))))
    (local.set $lo (i32.wrap_i64 (i64.sub (local.get $v) (i64.mul (i64.extend_i32_u (local.get $hi)) (i64.const 100000000)))))
    (local.set $d (call $u32 (local.get $d) (local.get $hi)))
    ;; 8 digits, zero-padded
    (local.set $k (i32.const 8))
    (loop $pairs
      (local.set $k (i32.sub (local.get $k) (i32.const 2)))
      (local.set $q (i32.div_u (local.get $lo) (i32.const 100)))
      (i32.store16 align=1 (i32.add (local.get $d) (local.get $k))
        (i32.load16_u offset=4194816 align=1
          (i32.shl (i32.sub (local.get $lo) (i32.mul (local.get $q) (i32.const 100))) (i32.const 1))))
      (local.set $lo (local.get $q))
      (br_if $pairs (local.get $k)))
    (i32.add (local.get $d) (i32.const 8)))

  ;; a key or value: kind 1 utf8 string, 2 hex, 3 base64; s < 0: null
  (func $val (param $d i32) (param $kind i32) (param $s i32) (param $e i32) (result i32)
    (if (i32.lt_s (local.get $s) (i32.const 0))
      (then
        (i32.store align=1 (local.get $d) (i32.const 0x6c6c756e))
        (return (i32.add (local.get $d) (i32.const 4)))))
    (i32.store8 (local.get $d) (i32.const 0x22))
    (if (i32.eq (local.get $kind) (i32.const 1))
      (then (local.set $d (call $esc (local.get $s) (local.get $e) (i32.add (local.get $d) (i32.const 1)))))
      (else
        (if (i32.eq (local.get $kind) (i32.const 2))
          (then (local.set $d (call $hex (local.get $s) (local.get $e) (i32.add (local.get $d) (i32.const 1)))))
          (else (local.set $d (call $b64 (local.get $s) (local.get $e) (i32.add (local.get $d) (i32.const 1))))))))
    (if (i32.lt_s (local.get $d) (i32.const 0)) (then (return (i32.const -1))))
    (i32.store8 (local.get $d) (i32.const 0x22))
    (i32.add (local.get $d) (i32.const 1)))

  ;; One record line without headers at d: offset and timestamp (safe integers), key and value
  ;; (kind 0: omitted, 1: utf8, 2: hex, 3: base64; start < 0: null), sequence (< 0: omitted), then the batch
  ;; part. Returns the end, or -1 when a key or value is not valid UTF-8 (nothing usable written).
  (func (export "rec") (param $d i32) (param $off f64) (param $ts f64)
      (param $kk i32) (param $ks i32) (param $ke i32) (param $vk i32) (param $vs i32) (param $ve i32) (param $seq i32)
      (result i32)
    (call $line (local.get $d) (local.get $off) (local.get $ts) (local.get $kk) (local.get $ks) (local.get $ke)
      (local.get $vk) (local.get $vs) (local.get $ve) (f64.convert_i32_s (local.get $seq))))

  (func $line (param $d i32) (param $off f64) (param $ts f64)
      (param $kk i32) (param $ks i32) (param $ke i32) (param $vk i32) (param $vs i32) (param $ve i32) (param $seq f64)
      (result i32)
    (local.set $d (call $tpl (local.get $d) (i32.const 4194368)))
    (local.set $d (call $num (local.get $d) (local.get $off)))
    (local.set $d (call $tpl (local.get $d) (i32.const 4194432)))
    (local.set $d (call $num (local.get $d) (local.get $ts)))
    (local.set $d (call $tpl (local.get $d) (i32.const 4194496)))
    (if (local.get $kk)
      (then
        (local.set $d (call $val (local.get $d) (local.get $kk) (local.get $ks) (local.get $ke)))
        (if (i32.lt_s (local.get $d) (i32.const 0)) (then (return (i32.const -1))))))
    (local.set $d (call $tpl (local.get $d) (i32.const 4194624)))
    (if (local.get $vk)
      (then
        (local.set $d (call $val (local.get $d) (local.get $vk) (local.get $vs) (local.get $ve)))
        (if (i32.lt_s (local.get $d) (i32.const 0)) (then (return (i32.const -1))))))
    (local.set $d (call $tpl (local.get $d) (i32.const 4194688)))
    (if (f64.ge (local.get $seq) (f64.const 0))
      (then
        (local.set $d (call $tpl (local.get $d) (i32.const 4194752)))
        (local.set $d (call $num (local.get $d) (local.get $seq)))))
    (call $tpl (local.get $d) (i32.const 4195392)))

  ;; ---------------------------------------------------------------- the record walk of a v2 batch
  ;; batch.ts's decodeV2Record for records [i, count) of the records at [p, end) (staged input),
  ;; writing a line per record as `line` does, while records are plain: no headers, a timestamp
  ;; delta of at most 4 varint bytes, valid UTF-8, safe-integer offsets and timestamps, and room
  ;; before dEnd. Returns 0 when all records are written, 1 at the first record beyond `to`, 2 when
  ;; record i is for the JS side (it decodes it again, with batch.ts's checks); p, i, d and the array
  ;; flag are left in the globals.
  (global $gp (export "gp") (mut i32) (i32.const 0))
  (global $gi (export "gi") (mut i32) (i32.const 0))
  (global $gd (export "gd") (mut i32) (i32.const 0))
  (global $gfirst (export "gfirst") (mut i32) (i32.const 0))
  (global $baseOffset (mut f64) (f64.const 0))
  (global $baseTs (mut f64) (f64.const 0))
  (global $maxTs (mut f64) (f64.const 0))
  (global $logAppend (mut i32) (i32.const 0))
  (global $baseSeq (mut f64) (f64.const 0))
  (global $from (mut f64) (f64.const 0))
  (global $to (mut f64) (f64.const 0))
  (global $kk (mut i32) (i32.const 0))
  (global $vk (mut i32) (i32.const 0))
  (global $array (mut i32) (i32.const 0))
  (global $tailLen (mut i32) (i32.const 0))

  (func (export "setup") (param $baseOffset f64) (param $baseTs f64) (param $maxTs f64) (param $logAppend i32)
      (param $baseSeq f64) (param $from f64) (param $to f64) (param $kk i32) (param $vk i32) (param $array i32)
      (param $tailLen i32)
    (global.set $baseOffset (local.get $baseOffset))
    (global.set $baseTs (local.get $baseTs))
    (global.set $maxTs (local.get $maxTs))
    (global.set $logAppend (local.get $logAppend))
    (global.set $baseSeq (local.get $baseSeq))
    (global.set $from (local.get $from))
    (global.set $to (local.get $to))
    (global.set $kk (local.get $kk))
    (global.set $vk (local.get $vk))
    (global.set $array (local.get $array))
    (global.set $tailLen (local.get $tailLen)))

  ;; readVarint at p, bounded by end: the value, with the new position in $gvp; $gvp = -1 on failure
  (global $gvp (mut i32) (i32.const 0))
  (func $varint (param $p i32) (param $end i32) (result i32)
    (local $raw i32) (local $shift i32) (local $c i32) (local $k i32)
    (loop $bytes
      (if (i32.ge_u (local.get $p) (local.get $end)) (then (global.set $gvp (i32.const -1)) (return (i32.const 0))))
      (local.set $c (i32.load8_u (local.get $p)))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (local.set $raw (i32.or (local.get $raw) (i32.shl (i32.and (local.get $c) (i32.const 0x7f)) (local.get $shift))))
      (if (i32.eqz (i32.and (local.get $c) (i32.const 0x80)))
        (then
          (global.set $gvp (local.get $p))
          (return (i32.xor (i32.shr_u (local.get $raw) (i32.const 1)) (i32.sub (i32.const 0) (i32.and (local.get $raw) (i32.const 1)))))))
      (local.set $shift (i32.add (local.get $shift) (i32.const 7)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $bytes (i32.lt_u (local.get $k) (i32.const 5))))
    (global.set $gvp (i32.const -1))
    (i32.const 0))

  (func (export "walk") (param $p i32) (param $end i32) (param $i i32) (param $count i32) (param $d i32) (param $dEnd i32)
      (result i32)
    (local $len i32) (local $bodyEnd i32) (local $q i32) (local $tsd i32) (local $od i32)
    (local $ks i32) (local $ke i32) (local $vs i32) (local $ve i32) (local $n i32) (local $r i32)
    (local $off f64) (local $ts f64) (local $seq f64) (local $st i32)
    (block $exit
      (loop $records
        (local.set $st (i32.const 0))
        (br_if $exit (i32.ge_s (local.get $i) (local.get $count)))
        (local.set $st (i32.const 2))
        (br_if $exit (i32.ge_u (local.get $p) (local.get $end)))
        ;; length
        (local.set $len (call $varint (local.get $p) (local.get $end)))
        (local.set $q (global.get $gvp))
        (br_if $exit (i32.lt_s (local.get $q) (i32.const 0)))
        (br_if $exit (i32.lt_s (local.get $len) (i32.const 1)))
        (br_if $exit (i32.gt_s (local.get $len) (i32.sub (local.get $end) (local.get $q))))
        (local.set $bodyEnd (i32.add (local.get $q) (local.get $len)))
        (local.set $q (i32.add (local.get $q) (i32.const 1)))
        ;; timestampDelta: a varlong of at most 4 bytes (28 bits: the zig-zag fits i32)
        (local.set $tsd (call $varint (local.get $q) (local.get $bodyEnd)))
        (br_if $exit (i32.lt_s (global.get $gvp) (i32.const 0)))
        (br_if $exit (i32.gt_u (i32.sub (global.get $gvp) (local.get $q)) (i32.const 4)))
        (local.set $q (global.get $gvp))
        (local.set $od (call $varint (local.get $q) (local.get $bodyEnd)))
        (local.set $q (global.get $gvp))
        (br_if $exit (i32.lt_s (local.get $q) (i32.const 0)))
        ;; key
        (local.set $n (call $varint (local.get $q) (local.get $bodyEnd)))
        (local.set $q (global.get $gvp))
        (br_if $exit (i32.lt_s (local.get $q) (i32.const 0)))
        (local.set $ks (i32.const -1))
        (if (i32.ge_s (local.get $n) (i32.const 0))
          (then
            (br_if $exit (i32.gt_s (local.get $n) (i32.sub (local.get $bodyEnd) (local.get $q))))
            (local.set $ks (local.get $q))
            (local.set $q (i32.add (local.get $q) (local.get $n)))))
        (local.set $ke (local.get $q))
        ;; value
        (local.set $n (call $varint (local.get $q) (local.get $bodyEnd)))
        (local.set $q (global.get $gvp))
        (br_if $exit (i32.lt_s (local.get $q) (i32.const 0)))
        (local.set $vs (i32.const -1))
        (if (i32.ge_s (local.get $n) (i32.const 0))
          (then
            (br_if $exit (i32.gt_s (local.get $n) (i32.sub (local.get $bodyEnd) (local.get $q))))
            (local.set $vs (local.get $q))
            (local.set $q (i32.add (local.get $q) (local.get $n)))))
        (local.set $ve (local.get $q))
        ;; no headers, and nothing after them
        (local.set $n (call $varint (local.get $q) (local.get $bodyEnd)))
        (local.set $q (global.get $gvp))
        (br_if $exit (i32.lt_s (local.get $q) (i32.const 0)))
        (br_if $exit (local.get $n))
        (br_if $exit (i32.ne (local.get $q) (local.get $bodyEnd)))
        ;; the record decodes: filter
        (local.set $off (f64.add (global.get $baseOffset) (f64.convert_i32_s (local.get $od))))
        (if (f64.lt (local.get $off) (global.get $from))
          (then
            (local.set $p (local.get $bodyEnd))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $records)))
        (local.set $st (i32.const 1))
        (br_if $exit (f64.gt (local.get $off) (global.get $to)))
        (local.set $st (i32.const 2))
        (local.set $ts
          (select (global.get $maxTs) (f64.add (global.get $baseTs) (f64.convert_i32_s (local.get $tsd))) (global.get $logAppend)))
        (br_if $exit (f64.gt (f64.abs (local.get $off)) (f64.const 9007199254740991)))
        (br_if $exit (f64.gt (f64.abs (local.get $ts)) (f64.const 9007199254740991)))
        ;; room for the line (as the JS side reserves it)
        (br_if $exit (i32.gt_s
          (i32.add (i32.add (local.get $d) (i32.mul (local.get $len) (i32.const 6))) (i32.add (global.get $tailLen) (i32.const 320)))
          (local.get $dEnd)))
        ;; batch.ts's lastSequenceFor, in doubles as there
        (local.set $seq (f64.const -1))
        (if (f64.ge (global.get $baseSeq) (f64.const 0))
          (then
            (if (f64.gt (global.get $baseSeq) (f64.sub (f64.const 2147483647) (f64.convert_i32_s (local.get $od))))
              (then (local.set $seq
                (f64.sub (f64.sub (f64.convert_i32_s (local.get $od)) (f64.sub (f64.const 2147483647) (global.get $baseSeq))) (f64.const 1))))
              (else (local.set $seq (f64.add (global.get $baseSeq) (f64.convert_i32_s (local.get $od))))))))
        ;; --json punctuation, then the line
        (local.set $r (local.get $d))
        (if (global.get $array)
          (then
            (i32.store8 (local.get $r) (select (i32.const 0x5b) (i32.const 0x2c) (global.get $gfirst)))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))))
        (local.set $r (call $line (local.get $r) (local.get $off) (local.get $ts) (global.get $kk) (local.get $ks) (local.get $ke)
          (global.get $vk) (local.get $vs) (local.get $ve) (local.get $seq)))
        (br_if $exit (i32.lt_s (local.get $r) (i32.const 0)))
        (if (global.get $array) (then (global.set $gfirst (i32.const 0))))
        (local.set $d (local.get $r))
        (local.set $p (local.get $bodyEnd))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $records)))
    (global.set $gp (local.get $p))
    (global.set $gi (local.get $i))
    (global.set $gd (local.get $d))
    (local.get $st))
)
