;; The byte loops of `dump --ndjson` (src/cli/ndjson-writer.ts), in WebAssembly with 128-bit SIMD:
;; a JavaScript loop checks about 0.7 GB/s of value bytes, these 16 at a time.
;; src/cli/json-escape-wasm.ts holds the assembled module; after editing this file rebuild it with
;;   node scripts/build-wasm.mjs   (needs `npx wat2wasm`, from the `wabt` package; not a dependency)
;; Memory is one fixed block that never grows (a growing memory would detach the views handed to
;; stdout.write): the JS side lays out input, constants and output slots in it.
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
  (func (export "esc") (param $s i32) (param $e i32) (param $d i32) (result i32)
    (local $v v128) (local $m i32) (local $c i32) (local $c1 i32) (local $n i32) (local $lo i32) (local $hi i32)
    (loop $main
      (block $scalar
        (loop $simd
          (br_if $scalar (i32.gt_u (i32.add (local.get $s) (i32.const 16)) (local.get $e)))
          (local.set $v (v128.load align=1 (local.get $s)))
          (v128.store align=1 (local.get $d) (local.get $v))
          ;; signed < 0x20 catches C0 controls and every byte >= 0x80
          (local.set $m (i8x16.bitmask
            (v128.or
              (v128.or
                (i8x16.lt_s (local.get $v) (v128.const i8x16 32 32 32 32 32 32 32 32 32 32 32 32 32 32 32 32))
                (i8x16.eq (local.get $v) (v128.const i8x16 34 34 34 34 34 34 34 34 34 34 34 34 34 34 34 34)))
              (i8x16.eq (local.get $v) (v128.const i8x16 92 92 92 92 92 92 92 92 92 92 92 92 92 92 92 92)))))
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
  (func (export "hex") (param $s i32) (param $e i32) (param $d i32) (result i32)
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
)
