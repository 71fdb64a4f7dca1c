;; The byte loops of `dump --ndjson` (src/cli/ndjson-writer.ts), in WebAssembly with 128-bit SIMD:
;; a JavaScript loop checks about 0.7 GB/s of value bytes, the escaper here 16-64 at a time (~8-10
;; GB/s); `walk` writes whole record lines without returning to JS; `drec` the `decoded` member of
;; internal topics' records.
;; src/cli/json-escape-wasm.ts holds the assembled module; after editing this file rebuild it with
;;   node scripts/build-wasm.mjs   (needs `npx wat2wasm`, from the `wabt` package; not a dependency)
;; Memory is one fixed block that never grows (a growing memory would detach the views handed to
;; stdout.write): the JS side lays out input, constants and output slots in it.
;; module sha256: 05d6327e0f7acb2bcff3a3c733a25354ee2fbc1f347ed7ca92c6931d7c744fdf
;; source sha256: bf14b9020fba653a742ca8ab5ea721f4e451dab6d4f142baec160474edb60c0a
(module
  (memory (export "mem") 192)

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

  ;; base64 characters, in the 64 bytes before the URL-safe ones at the end of the memory
  (data (i32.const 12582784) "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
  (func $b64c (param $i i32) (result i32)
    (i32.load8_u offset=12582784 (local.get $i)))

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
    (global.set $tailLen (local.get $tailLen))
    (global.set $dtable (i32.const -1)))

  ;; After setup: the lines of `walk` end with the decoded member of an internal topic's record
  ;; (drec with this table; framed as drec's), then `}` and the newline; the batch part template
  ;; then lacks its closing brace. A record drec leaves stops the walk (status 2).
  (global $dtable (mut i32) (i32.const -1))
  (global $dframed (mut i32) (i32.const 0))
  ;; how many decoded members walk wrote (the JS side reads and resets it)
  (global $gdn (export "gdn") (mut i32) (i32.const 0))
  (func (export "dsetup") (param $table i32) (param $framed i32)
    (global.set $dtable (local.get $table))
    (global.set $dframed (local.get $framed)))

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
        (if (i32.ge_s (global.get $dtable) (i32.const 0))
          (then
            (local.set $r (call $drec (global.get $dtable) (global.get $dframed) (local.get $ks) (local.get $ke) (local.get $vs) (local.get $ve)
              (local.get $r) (i32.sub (local.get $dEnd) (i32.const 2))))
            (br_if $exit (i32.lt_s (local.get $r) (i32.const 0)))
            (i32.store16 align=1 (local.get $r) (i32.const 0x0a7d))
            (local.set $r (i32.add (local.get $r) (i32.const 2)))
            (global.set $gdn (i32.add (global.get $gdn) (i32.const 1)))))
        (if (global.get $array) (then (global.set $gfirst (i32.const 0))))
        (local.set $d (local.get $r))
        (local.set $p (local.get $bodyEnd))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $records)))
    (global.set $gp (local.get $p))
    (global.set $gi (local.get $i))
    (global.set $gd (local.get $d))
    (local.get $st))

  ;; ---------------------------------------------------------------- internal topics: the decoded member
  ;; `,"decoded":{"key":K,"value":V}` of a record of __consumer_offsets, __transaction_state,
  ;; __share_group_state, __cluster_metadata or __remote_log_metadata, from its key and value bytes
  ;; (staged input), as src/format/kafka-messages/json-writer.ts writes it: the same programs, laid
  ;; out in memory by src/format/kafka-messages/record-programs.ts (programBytes), run here.
  ;; A table per decoder maps (record type or apiKey) * 64 + version + 1 (version -1: a tombstone)
  ;; to a record program's address; 0: not laid out yet (drec returns -2, the JS side lays it out
  ;; and calls again); -1: left to JS.
  ;; Record program: a, key struct (0: none), b, value struct (0: none), c (templates), value skip.
  ;; Struct: count, flexible, then 16 bytes per member: kind, array, nullable, flexible (u8 each),
  ;; tagged (i32), key template `"name":`, struct (for kind 11).
  ;; Anything else is -1 ("not written here"): bounds or rule violations, no room, a tag section
  ;; that is not empty, float64, text that is not valid UTF-8; the JS writer then takes the record.
  (global $dp (mut i32) (i32.const 0))

  ;; an unsigned varint below 2^31 at p (the position after it in $dp), or -1
  (func $uv (param $p i32) (param $end i32) (result i32)
    (local $v i64) (local $b i32) (local $sh i64)
    (if (i32.ge_u (local.get $p) (local.get $end)) (then (return (i32.const -1))))
    (local.set $b (i32.load8_u (local.get $p)))
    (if (i32.lt_u (local.get $b) (i32.const 128))
      (then (global.set $dp (i32.add (local.get $p) (i32.const 1))) (return (local.get $b))))
    (loop $bytes
      (if (i32.ge_u (local.get $p) (local.get $end)) (then (return (i32.const -1))))
      (local.set $b (i32.load8_u (local.get $p)))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (local.set $v (i64.or (local.get $v) (i64.shl (i64.extend_i32_u (i32.and (local.get $b) (i32.const 0x7f))) (local.get $sh))))
      (if (i32.eqz (i32.and (local.get $b) (i32.const 0x80)))
        (then
          (if (i64.gt_u (local.get $v) (i64.const 0x7fffffff)) (then (return (i32.const -1))))
          (global.set $dp (local.get $p))
          (return (i32.wrap_i64 (local.get $v)))))
      (local.set $sh (i64.add (local.get $sh) (i64.const 7)))
      (br_if $bytes (i64.lt_u (local.get $sh) (i64.const 35))))
    (i32.const -1))

  (func $be32 (param $p i32) (result i32)
    (i32.or
      (i32.or (i32.shl (i32.load8_u (local.get $p)) (i32.const 24)) (i32.shl (i32.load8_u offset=1 (local.get $p)) (i32.const 16)))
      (i32.or (i32.shl (i32.load8_u offset=2 (local.get $p)) (i32.const 8)) (i32.load8_u offset=3 (local.get $p)))))

  (func $be16s (param $p i32) (result i32)
    (i32.or (i32.shr_s (i32.shl (i32.load8_u (local.get $p)) (i32.const 24)) (i32.const 16)) (i32.load8_u offset=1 (local.get $p))))

  ;; exactly 8 digits of x (< 10^8), zero-padded
  (func $pad8 (param $d i32) (param $x i32) (result i32)
    (local $k i32) (local $q i32)
    (local.set $k (i32.const 8))
    (loop $pairs
      (local.set $k (i32.sub (local.get $k) (i32.const 2)))
      (local.set $q (i32.div_u (local.get $x) (i32.const 100)))
      (i32.store16 align=1 (i32.add (local.get $d) (local.get $k))
        (i32.load16_u offset=4194816 align=1 (i32.shl (i32.sub (local.get $x) (i32.mul (local.get $q) (i32.const 100))) (i32.const 1))))
      (local.set $x (local.get $q))
      (br_if $pairs (local.get $k)))
    (i32.add (local.get $d) (i32.const 8)))

  ;; a signed 32-bit integer in decimal
  (func $i32s (param $d i32) (param $x i32) (result i32)
    (if (i32.lt_s (local.get $x) (i32.const 0))
      (then
        (i32.store8 (local.get $d) (i32.const 0x2d))
        (return (call $u32 (i32.add (local.get $d) (i32.const 1)) (i32.sub (i32.const 0) (local.get $x))))))
    (call $u32 (local.get $d) (local.get $x)))

  ;; a signed 64-bit integer in decimal, exact over the whole range
  (func $i64s (param $d i32) (param $v i64) (result i32)
    (local $hi i64)
    (if (i64.lt_s (local.get $v) (i64.const 0))
      (then
        (i32.store8 (local.get $d) (i32.const 0x2d))
        (local.set $d (i32.add (local.get $d) (i32.const 1)))
        (local.set $v (i64.sub (i64.const 0) (local.get $v)))))
    (if (i64.lt_u (local.get $v) (i64.const 4294967296))
      (then (return (call $u32 (local.get $d) (i32.wrap_i64 (local.get $v))))))
    (local.set $hi (i64.div_u (local.get $v) (i64.const 100000000)))
    (if (i64.lt_u (local.get $hi) (i64.const 4294967296))
      (then (local.set $d (call $u32 (local.get $d) (i32.wrap_i64 (local.get $hi)))))
      (else
        (local.set $d (call $u32 (local.get $d) (i32.wrap_i64 (i64.div_u (local.get $hi) (i64.const 100000000)))))
        (local.set $d (call $pad8 (local.get $d) (i32.wrap_i64 (i64.rem_u (local.get $hi) (i64.const 100000000)))))))
    (call $pad8 (local.get $d) (i32.wrap_i64 (i64.sub (local.get $v) (i64.mul (local.get $hi) (i64.const 100000000))))))

  ;; URL-safe base64 characters, in the last 64 bytes of the memory (the JS side keeps clear of the last 128)
  (data (i32.const 12582848) "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
  (func $b64u (param $i i32) (result i32)
    (i32.load8_u offset=12582848 (local.get $i)))

  ;; Kafka's Uuid.toString in quotes: URL-safe base64 of the 16 bytes, no padding (24 bytes)
  (func $uuid (param $d i32) (param $s i32) (result i32)
    (local $i i32) (local $w i32)
    (i32.store8 (local.get $d) (i32.const 0x22))
    (local.set $d (i32.add (local.get $d) (i32.const 1)))
    (loop $groups
      (local.set $w (i32.or (i32.or
        (i32.shl (i32.load8_u (i32.add (local.get $s) (local.get $i))) (i32.const 16))
        (i32.shl (i32.load8_u offset=1 (i32.add (local.get $s) (local.get $i))) (i32.const 8)))
        (i32.load8_u offset=2 (i32.add (local.get $s) (local.get $i)))))
      (i32.store8 (local.get $d) (call $b64u (i32.shr_u (local.get $w) (i32.const 18))))
      (i32.store8 offset=1 (local.get $d) (call $b64u (i32.and (i32.shr_u (local.get $w) (i32.const 12)) (i32.const 63))))
      (i32.store8 offset=2 (local.get $d) (call $b64u (i32.and (i32.shr_u (local.get $w) (i32.const 6)) (i32.const 63))))
      (i32.store8 offset=3 (local.get $d) (call $b64u (i32.and (local.get $w) (i32.const 63))))
      (local.set $d (i32.add (local.get $d) (i32.const 4)))
      (local.set $i (i32.add (local.get $i) (i32.const 3)))
      (br_if $groups (i32.lt_u (local.get $i) (i32.const 15))))
    (local.set $w (i32.load8_u offset=15 (local.get $s)))
    (i32.store8 (local.get $d) (call $b64u (i32.shr_u (local.get $w) (i32.const 2))))
    (i32.store8 offset=1 (local.get $d) (call $b64u (i32.shl (i32.and (local.get $w) (i32.const 3)) (i32.const 4))))
    (i32.store8 offset=2 (local.get $d) (i32.const 0x22))
    (i32.add (local.get $d) (i32.const 3)))

  (func $null (param $d i32) (result i32)
    (i32.store align=1 (local.get $d) (i32.const 0x6c6c756e))
    (i32.add (local.get $d) (i32.const 4)))

  ;; a struct's JSON object from p (the position after it in $dp), or -1. The regular members
  ;; in spec order; then, in a flexible version, the tag section: each known tag's value is written
  ;; as its member when the struct's tagged members come last in spec order and the tags come in that
  ;; order (else -1), and dropped when its text is its default's (JsonConverter).
  (func $wstruct (param $st i32) (param $p i32) (param $end i32) (param $d i32) (param $cap i32) (result i32)
    (local $n i32) (local $f i32) (local $first i32) (local $c i32) (local $tag i32) (local $z i32)
    (local $k0 i32) (local $v0 i32) (local $def i32) (local $i i32) (local $last i32)
    (local.set $n (i32.load (local.get $st)))
    (local.set $f (i32.add (local.get $st) (i32.const 8)))
    (local.set $last (i32.add (local.get $f) (i32.mul (local.get $n) (i32.const 24))))
    (if (i32.gt_s (i32.add (local.get $d) (i32.const 1)) (local.get $cap)) (then (return (i32.const -1))))
    (i32.store8 (local.get $d) (i32.const 0x7b))
    (local.set $d (i32.add (local.get $d) (i32.const 1)))
    (local.set $first (i32.const 1))
    (block $done
      (loop $members
        (br_if $done (i32.ge_u (local.get $f) (local.get $last)))
        ;; (tagged members come from the tag section below)
        (if (i32.eqz (i32.load offset=4 (local.get $f)))
          (then
            (if (i32.gt_s (i32.add (i32.add (local.get $d) (i32.load (i32.load offset=8 (local.get $f)))) (i32.const 1)) (local.get $cap))
              (then (return (i32.const -1))))
            (if (i32.eqz (local.get $first))
              (then
                (i32.store8 (local.get $d) (i32.const 0x2c))
                (local.set $d (i32.add (local.get $d) (i32.const 1)))))
            (local.set $first (i32.const 0))
            (local.set $d (call $tpl (local.get $d) (i32.load offset=8 (local.get $f))))
            (if (i32.load8_u offset=1 (local.get $f))
              (then (local.set $d (call $wfield (local.get $f) (i32.const 0) (local.get $p) (local.get $end) (local.get $d) (local.get $cap))))
              (else (local.set $d (call $wvalue (local.get $f) (i32.load8_u offset=2 (local.get $f)) (i32.const 0) (i32.const 0)
                (local.get $p) (local.get $end) (local.get $d) (local.get $cap)))))
            (if (i32.lt_s (local.get $d) (i32.const 0)) (then (return (i32.const -1))))
            (local.set $p (global.get $dp))))
        (local.set $f (i32.add (local.get $f) (i32.const 24)))
        (br $members)))
    (if (i32.and (i32.load offset=4 (local.get $st)) (i32.const 1))
      (then
        (local.set $c (call $uv (local.get $p) (local.get $end)))
        (if (i32.lt_s (local.get $c) (i32.const 0)) (then (return (i32.const -1))))
        (local.set $p (global.get $dp))
        (if (local.get $c)
          (then
            (if (i32.eqz (i32.and (i32.load offset=4 (local.get $st)) (i32.const 2))) (then (return (i32.const -1))))
            (local.set $f (i32.add (local.get $st) (i32.const 8)))
            (loop $tags
              (local.set $tag (call $uv (local.get $p) (local.get $end)))
              (if (i32.lt_s (local.get $tag) (i32.const 0)) (then (return (i32.const -1))))
              (local.set $z (call $uv (global.get $dp) (local.get $end)))
              (if (i32.lt_s (local.get $z) (i32.const 0)) (then (return (i32.const -1))))
              (local.set $p (global.get $dp))
              (if (i32.gt_s (local.get $z) (i32.sub (local.get $end) (local.get $p))) (then (return (i32.const -1))))
              ;; its member: the next tagged one with this tag (a tag not known, repeated or out of order: -1)
              (block $found
                (loop $find
                  (if (i32.ge_u (local.get $f) (local.get $last)) (then (return (i32.const -1))))
                  (br_if $found (i32.eq (i32.load offset=4 (local.get $f)) (i32.add (local.get $tag) (i32.const 1))))
                  (local.set $f (i32.add (local.get $f) (i32.const 24)))
                  (br $find)))
              (local.set $k0 (local.get $d))
              (if (i32.gt_s (i32.add (i32.add (local.get $d) (i32.load (i32.load offset=8 (local.get $f)))) (i32.const 1)) (local.get $cap))
                (then (return (i32.const -1))))
              (if (i32.eqz (local.get $first))
                (then
                  (i32.store8 (local.get $d) (i32.const 0x2c))
                  (local.set $d (i32.add (local.get $d) (i32.const 1)))))
              (local.set $d (call $tpl (local.get $d) (i32.load offset=8 (local.get $f))))
              (local.set $v0 (local.get $d))
              (local.set $d (call $wfield (local.get $f) (i32.const 1) (local.get $p) (i32.add (local.get $p) (local.get $z)) (local.get $d) (local.get $cap)))
              (if (i32.lt_s (local.get $d) (i32.const 0)) (then (return (i32.const -1))))
              (if (i32.ne (global.get $dp) (i32.add (local.get $p) (local.get $z))) (then (return (i32.const -1))))
              ;; the default's text: not written
              (local.set $def (i32.load offset=16 (local.get $f)))
              (local.set $i (i32.const 0))
              (block $differs
                (br_if $differs (i32.ne (i32.sub (local.get $d) (local.get $v0)) (i32.load (local.get $def))))
                (loop $bytes
                  (if (i32.ge_u (local.get $i) (i32.load (local.get $def)))
                    (then
                      ;; the same bytes: drop the member (and its comma)
                      (local.set $d (local.get $k0))
                      (br $differs)))
                  (br_if $differs (i32.ne (i32.load8_u (i32.add (local.get $v0) (local.get $i)))
                    (i32.load8_u offset=4 (i32.add (local.get $def) (local.get $i)))))
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (br $bytes)))
              (if (i32.ne (local.get $d) (local.get $k0)) (then (local.set $first (i32.const 0))))
              (local.set $p (i32.add (local.get $p) (local.get $z)))
              (local.set $f (i32.add (local.get $f) (i32.const 24)))
              (local.set $c (i32.sub (local.get $c) (i32.const 1)))
              (br_if $tags (local.get $c)))))))
    (if (i32.gt_s (i32.add (local.get $d) (i32.const 1)) (local.get $cap)) (then (return (i32.const -1))))
    (i32.store8 (local.get $d) (i32.const 0x7d))
    (global.set $dp (local.get $p))
    (i32.add (local.get $d) (i32.const 1)))

  ;; a member's value: an array, or one value
  (func $wfield (param $f i32) (param $tagged i32) (param $p i32) (param $end i32) (param $d i32) (param $cap i32) (result i32)
    (local $n i32) (local $j i32) (local $kind i32)
    (if (i32.eqz (i32.load8_u offset=1 (local.get $f)))
      (then (return (call $wvalue (local.get $f) (i32.load8_u offset=2 (local.get $f)) (i32.const 0) (local.get $tagged)
        (local.get $p) (local.get $end) (local.get $d) (local.get $cap)))))
    (local.set $kind (i32.load8_u (local.get $f)))
    (if (i32.load8_u offset=3 (local.get $f))
      (then
        (local.set $n (call $uv (local.get $p) (local.get $end)))
        (if (i32.lt_s (local.get $n) (i32.const 0)) (then (return (i32.const -1))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (local.set $p (global.get $dp)))
      (else
        (if (i32.gt_s (i32.add (local.get $p) (i32.const 4)) (local.get $end)) (then (return (i32.const -1))))
        (local.set $n (call $be32 (local.get $p)))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))))
    (if (i32.lt_s (local.get $n) (i32.const 0))
      (then
        (if (i32.or (i32.or (i32.eqz (i32.load8_u offset=2 (local.get $f))) (i32.lt_s (local.get $n) (i32.const -1)))
              (i32.gt_s (i32.add (local.get $d) (i32.const 4)) (local.get $cap)))
          (then (return (i32.const -1))))
        (global.set $dp (local.get $p))
        (return (call $null (local.get $d)))))
    ;; every element takes at least one byte (an empty struct of a non-flexible version: none; the JS side checks those)
    (if (i32.gt_s (local.get $n) (i32.sub (local.get $end) (local.get $p))) (then (return (i32.const -1))))
    (if (i32.gt_s (i32.add (local.get $d) (i32.const 1)) (local.get $cap)) (then (return (i32.const -1))))
    (i32.store8 (local.get $d) (i32.const 0x5b))
    (local.set $d (i32.add (local.get $d) (i32.const 1)))
    (block $done
      (loop $elements
        (br_if $done (i32.ge_s (local.get $j) (local.get $n)))
        (if (local.get $j)
          (then
            (if (i32.gt_s (i32.add (local.get $d) (i32.const 1)) (local.get $cap)) (then (return (i32.const -1))))
            (i32.store8 (local.get $d) (i32.const 0x2c))
            (local.set $d (i32.add (local.get $d) (i32.const 1)))))
        (if (i32.eq (local.get $kind) (i32.const 11))
          (then (local.set $d (call $wstruct (i32.load offset=12 (local.get $f)) (local.get $p) (local.get $end) (local.get $d) (local.get $cap))))
          (else (local.set $d (call $wvalue (local.get $f) (i32.const 0) (i32.const 1) (i32.const 0) (local.get $p) (local.get $end) (local.get $d) (local.get $cap)))))
        (if (i32.lt_s (local.get $d) (i32.const 0)) (then (return (i32.const -1))))
        (local.set $p (global.get $dp))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $elements)))
    (if (i32.gt_s (i32.add (local.get $d) (i32.const 1)) (local.get $cap)) (then (return (i32.const -1))))
    (i32.store8 (local.get $d) (i32.const 0x5d))
    (global.set $dp (local.get $p))
    (i32.add (local.get $d) (i32.const 1)))

  ;; one value (an array element when $element)
  (func $wvalue (param $f i32) (param $nullable i32) (param $element i32) (param $tagged i32)
      (param $p i32) (param $end i32) (param $d i32) (param $cap i32) (result i32)
    (local $kind i32) (local $size i32) (local $n i32) (local $x i32) (local $v v128)
    (local.set $kind (i32.load8_u (local.get $f)))
    (if (i32.lt_u (local.get $kind) (i32.const 9))
      (then
        ;; fixed size: at most 24 bytes of text
        (local.set $size
          (select (i32.const 1)
            (select (i32.const 2)
              (select (i32.const 4) (select (i32.const 8) (i32.const 16) (i32.lt_u (local.get $kind) (i32.const 8)))
                (i32.lt_u (local.get $kind) (i32.const 6)))
              (i32.lt_u (local.get $kind) (i32.const 4)))
            (i32.lt_u (local.get $kind) (i32.const 2))))
        (if (i32.or (i32.gt_s (i32.add (local.get $p) (local.get $size)) (local.get $end))
              (i32.gt_s (i32.add (local.get $d) (i32.const 24)) (local.get $cap)))
          (then (return (i32.const -1))))
        (global.set $dp (i32.add (local.get $p) (local.get $size)))
        (block $k8 (block $k7 (block $k6 (block $k5 (block $k4 (block $k3 (block $k2 (block $k1 (block $k0
          (br_table $k0 $k1 $k2 $k3 $k4 $k5 $k6 $k7 $k8 (local.get $kind)))
          ;; bool
          (if (i32.load8_u (local.get $p))
            (then
              (i32.store align=1 (local.get $d) (i32.const 0x65757274))
              (return (i32.add (local.get $d) (i32.const 4)))))
          (i32.store align=1 (local.get $d) (i32.const 0x736c6166))
          (i32.store8 offset=4 (local.get $d) (i32.const 0x65))
          (return (i32.add (local.get $d) (i32.const 5))))
          ;; int8
          (return (call $i32s (local.get $d) (i32.load8_s (local.get $p)))))
          ;; int16
          (return (call $i32s (local.get $d) (call $be16s (local.get $p)))))
          ;; uint16
          (return (call $u32 (local.get $d)
            (i32.or (i32.shl (i32.load8_u (local.get $p)) (i32.const 8)) (i32.load8_u offset=1 (local.get $p))))))
          ;; int32
          (return (call $i32s (local.get $d) (call $be32 (local.get $p)))))
          ;; uint32
          (return (call $u32 (local.get $d) (call $be32 (local.get $p)))))
          ;; int64
          (return (call $i64s (local.get $d)
            (i64.or (i64.shl (i64.extend_i32_u (call $be32 (local.get $p))) (i64.const 32))
              (i64.extend_i32_u (call $be32 (i32.add (local.get $p) (i32.const 4))))))))
          ;; float64: the JS writer's
          (return (i32.const -1)))
        ;; uuid
        (return (call $uuid (local.get $d) (local.get $p)))))
    (if (i32.eq (local.get $kind) (i32.const 11))
      (then
        (if (i32.and (i32.eqz (local.get $element)) (local.get $nullable))
          (then
            ;; presence marker: int8 -1 = null, 1 = present; tagged: unsigned varint 0 = null, else present
            (if (i32.ge_s (local.get $p) (local.get $end)) (then (return (i32.const -1))))
            (local.set $x (i32.load8_u (local.get $p)))
            (if (select (i32.eqz (local.get $x)) (i32.ge_u (local.get $x) (i32.const 128)) (local.get $tagged))
              (then
                (if (i32.gt_s (i32.add (local.get $d) (i32.const 4)) (local.get $cap)) (then (return (i32.const -1))))
                (global.set $dp (i32.add (local.get $p) (i32.const 1)))
                (return (call $null (local.get $d)))))
            (if (local.get $tagged)
              (then
                (if (i32.lt_s (call $uv (local.get $p) (local.get $end)) (i32.const 0)) (then (return (i32.const -1))))
                (local.set $p (global.get $dp)))
              (else
                (if (i32.ne (local.get $x) (i32.const 1)) (then (return (i32.const -1))))
                (local.set $p (i32.add (local.get $p) (i32.const 1)))))))
        (return (call $wstruct (i32.load offset=12 (local.get $f)) (local.get $p) (local.get $end) (local.get $d) (local.get $cap)))))
    ;; string (9), bytes and records (10)
    (if (i32.load8_u offset=3 (local.get $f))
      (then
        (local.set $n (call $uv (local.get $p) (local.get $end)))
        (if (i32.lt_s (local.get $n) (i32.const 0)) (then (return (i32.const -1))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (local.set $p (global.get $dp)))
      (else
        (if (i32.eq (local.get $kind) (i32.const 9))
          (then
            (if (i32.gt_s (i32.add (local.get $p) (i32.const 2)) (local.get $end)) (then (return (i32.const -1))))
            (local.set $n (call $be16s (local.get $p)))
            (local.set $p (i32.add (local.get $p) (i32.const 2))))
          (else
            (if (i32.gt_s (i32.add (local.get $p) (i32.const 4)) (local.get $end)) (then (return (i32.const -1))))
            (local.set $n (call $be32 (local.get $p)))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))))))
    (if (i32.lt_s (local.get $n) (i32.const 0))
      (then
        ;; (a null string element is refused, as codec.ts refuses it)
        (if (i32.or (i32.or (i32.eqz (local.get $nullable)) (i32.lt_s (local.get $n) (i32.const -1)))
              (i32.or (i32.and (i32.eq (local.get $kind) (i32.const 9)) (local.get $element))
                (i32.gt_s (i32.add (local.get $d) (i32.const 4)) (local.get $cap))))
          (then (return (i32.const -1))))
        (global.set $dp (local.get $p))
        (return (call $null (local.get $d)))))
    (if (i32.gt_s (local.get $n) (i32.sub (local.get $end) (local.get $p))) (then (return (i32.const -1))))
    (global.set $dp (i32.add (local.get $p) (local.get $n)))
    (if (i32.eq (local.get $kind) (i32.const 9))
      (then
        (if (i32.or (i32.gt_s (local.get $n) (i32.const 32767))
              (i32.gt_s (i32.add (i32.add (local.get $d) (i32.mul (local.get $n) (i32.const 6))) (i32.const 18)) (local.get $cap)))
          (then (return (i32.const -1))))
        (i32.store8 (local.get $d) (i32.const 0x22))
        ;; up to 16 bytes of plain text (names, ids): one block (the input and output have room past the ends)
        (if (i32.le_u (local.get $n) (i32.const 16))
          (then
            (local.set $v (v128.load align=1 (local.get $p)))
            (if (i32.eqz (i32.and
                  (i8x16.bitmask (v128.or (v128.or
                    (i8x16.lt_s (local.get $v) (i8x16.splat (i32.const 32)))
                    (i8x16.eq (local.get $v) (i8x16.splat (i32.const 34))))
                    (i8x16.eq (local.get $v) (i8x16.splat (i32.const 92)))))
                  (i32.sub (i32.shl (i32.const 1) (local.get $n)) (i32.const 1))))
              (then
                (v128.store offset=1 align=1 (local.get $d) (local.get $v))
                (local.set $d (i32.add (i32.add (local.get $d) (local.get $n)) (i32.const 1)))
                (i32.store8 (local.get $d) (i32.const 0x22))
                (return (i32.add (local.get $d) (i32.const 1)))))))
        (local.set $d (call $esc (local.get $p) (i32.add (local.get $p) (local.get $n)) (i32.add (local.get $d) (i32.const 1)))))
      (else
        (if (i32.gt_s (i32.add (i32.add (local.get $d) (i32.shl (i32.div_u (i32.add (local.get $n) (i32.const 2)) (i32.const 3)) (i32.const 2))) (i32.const 18))
              (local.get $cap))
          (then (return (i32.const -1))))
        (i32.store8 (local.get $d) (i32.const 0x22))
        (local.set $d (call $b64 (local.get $p) (i32.add (local.get $p) (local.get $n)) (i32.add (local.get $d) (i32.const 1))))))
    (if (i32.lt_s (local.get $d) (i32.const 0)) (then (return (i32.const -1))))
    (i32.store8 (local.get $d) (i32.const 0x22))
    (i32.add (local.get $d) (i32.const 1)))

  ;; The decoded member of one record at d (key at [ks, ke), value at [vs, ve); start -1: null) with
  ;; the decoder's table at $table; $framed: metadata records (no key; the value starts with the
  ;; frame version, apiKey and version, one byte each here), else coordinator records (key: int16
  ;; type; value: int16 version). The end, -1 (left to JS) or -2 (the record's program is not laid
  ;; out yet).
  (func $drec (export "drec") (param $table i32) (param $framed i32) (param $ks i32) (param $ke i32) (param $vs i32) (param $ve i32)
      (param $d i32) (param $cap i32) (result i32)
    (local $id i32) (local $version i32) (local $r i32) (local $a i32)
    (local.set $version (i32.const -1))
    (if (local.get $framed)
      (then
        (if (i32.ge_s (local.get $vs) (i32.const 0))
          (then
            (if (i32.gt_s (i32.add (local.get $vs) (i32.const 3)) (local.get $ve)) (then (return (i32.const -1))))
            (if (i32.or (i32.ne (i32.load8_u (local.get $vs)) (i32.const 1))
                  (i32.or (i32.ge_u (i32.load8_u offset=1 (local.get $vs)) (i32.const 128)) (i32.ge_u (i32.load8_u offset=2 (local.get $vs)) (i32.const 63))))
              (then (return (i32.const -1))))
            (local.set $id (i32.load8_u offset=1 (local.get $vs)))
            (local.set $version (i32.load8_u offset=2 (local.get $vs))))))
      (else
        (if (i32.or (i32.lt_s (local.get $ks) (i32.const 0)) (i32.lt_s (i32.sub (local.get $ke) (local.get $ks)) (i32.const 2)))
          (then (return (i32.const -1))))
        (local.set $id (call $be16s (local.get $ks)))
        (if (i32.ge_s (local.get $vs) (i32.const 0))
          (then
            (if (i32.lt_s (i32.sub (local.get $ve) (local.get $vs)) (i32.const 2)) (then (return (i32.const -1))))
            (local.set $version (call $be16s (local.get $vs)))
            (if (i32.lt_s (local.get $version) (i32.const 0)) (then (return (i32.const -1))))))
        (if (i32.or (i32.or (i32.lt_s (local.get $id) (i32.const 0)) (i32.ge_s (local.get $id) (i32.const 256)))
              (i32.ge_s (local.get $version) (i32.const 63)))
          (then (return (i32.const -1))))))
    (local.set $r (i32.load (i32.add (local.get $table)
      (i32.shl (i32.add (i32.shl (local.get $id) (i32.const 6)) (i32.add (local.get $version) (i32.const 1))) (i32.const 2)))))
    (if (i32.eqz (local.get $r)) (then (return (i32.const -2))))
    (if (i32.lt_s (local.get $r) (i32.const 0)) (then (return (i32.const -1))))
    (local.set $a (i32.load (local.get $r)))
    (if (i32.gt_s (i32.add (i32.add (local.get $d) (i32.load (local.get $a))) (i32.const 16)) (local.get $cap)) (then (return (i32.const -1))))
    (local.set $d (call $tpl (local.get $d) (local.get $a)))
    (if (i32.load offset=4 (local.get $r))
      (then
        (local.set $d (call $wstruct (i32.load offset=4 (local.get $r)) (i32.add (local.get $ks) (i32.const 2)) (local.get $ke) (local.get $d) (local.get $cap)))
        (if (i32.or (i32.lt_s (local.get $d) (i32.const 0)) (i32.ne (global.get $dp) (local.get $ke))) (then (return (i32.const -1))))
        (local.set $a (i32.load offset=8 (local.get $r)))
        (if (i32.gt_s (i32.add (i32.add (local.get $d) (i32.load (local.get $a))) (i32.const 16)) (local.get $cap)) (then (return (i32.const -1))))
        (local.set $d (call $tpl (local.get $d) (local.get $a)))))
    (if (i32.load offset=12 (local.get $r))
      (then
        (local.set $d (call $wstruct (i32.load offset=12 (local.get $r)) (i32.add (local.get $vs) (i32.load offset=20 (local.get $r))) (local.get $ve)
          (local.get $d) (local.get $cap)))
        (if (i32.or (i32.lt_s (local.get $d) (i32.const 0)) (i32.ne (global.get $dp) (local.get $ve))) (then (return (i32.const -1))))
        (local.set $a (i32.load offset=16 (local.get $r)))
        (if (i32.gt_s (i32.add (i32.add (local.get $d) (i32.load (local.get $a))) (i32.const 16)) (local.get $cap)) (then (return (i32.const -1))))
        (local.set $d (call $tpl (local.get $d) (local.get $a)))))
    (local.get $d))
)
