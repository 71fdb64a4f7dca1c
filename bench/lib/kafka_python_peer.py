# kafka-python's record decoder on a kseg .log segment: every v2 batch that ends within the first
# MAX_BYTES bytes, every record, key and value read (as a consumer's fetch path decodes them).
# CRCs are not validated (kafka-python's pure-Python CRC-32C would dominate); kseg's dump does check.
#
#   python3 kafka_python_peer.py SEGMENT.log MAX_BYTES
# Prints one JSON line: seconds (decode loop only, file already read), records, bytes.
import json
import struct
import sys
import time

from kafka.record.memory_records import MemoryRecords


def main():
    path, max_bytes = sys.argv[1], int(sys.argv[2])
    with open(path, 'rb') as f:
        data = f.read(max_bytes)
    # Cut at the last batch boundary inside the prefix (MemoryRecords also stops at a partial batch).
    pos = 0
    while pos + 12 <= len(data):
        (length,) = struct.unpack_from('>i', data, pos + 8)
        if pos + 12 + length > len(data):
            break
        pos += 12 + length
    data = data[:pos]
    t0 = time.perf_counter()
    records = 0
    key_bytes = 0
    value_bytes = 0
    mr = MemoryRecords(data)
    while True:
        batch = mr.next_batch()
        if batch is None:
            break
        for rec in batch:
            k = rec.key
            v = rec.value
            records += 1
            if k is not None:
                key_bytes += len(k)
            if v is not None:
                value_bytes += len(v)
    seconds = time.perf_counter() - t0
    print(json.dumps({'seconds': seconds, 'records': records, 'bytes': pos, 'keyBytes': key_bytes, 'valueBytes': value_bytes}))


if __name__ == '__main__':
    main()
