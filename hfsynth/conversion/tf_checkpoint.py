"""TensorFlow's weight files read without TensorFlow: checkpoints and TensorFlow.js weights.

A checkpoint (the "tensor bundle" of ``tf.train.Saver``) ``PREFIX`` is ``PREFIX.index`` plus one or
more ``PREFIX.data-SSSSS-of-NNNNN`` shards:

* the index is a LevelDB-style SSTable: data blocks of prefix-compressed ``(key, value)`` entries,
  an index block pointing at them and a 48-byte footer pointing at the index block; every block
  ends with a compression byte and a masked CRC-32C. The key ``""`` holds a ``BundleHeaderProto``
  (shard count, endianness); every other key is a variable name holding a ``BundleEntryProto``
  (dtype, shape, shard, offset, size, CRC-32C of the bytes);
* a data shard is the variables' raw bytes, row-major, at those offsets.

Both protobuf messages are decoded here from the wire format (a handful of fields), so neither
TensorFlow nor a compiled schema is needed. Every read is checked: sizes against the file,
checksums against the bytes; a problem is a ``ValueError`` naming the file or the variable.

A TensorFlow.js copy is ``weights_manifest.json`` (groups of ``{"paths": [shard files], "weights":
[{"name", "shape", "dtype"}]}``) and the shards: each group's shards are one byte stream cut into
files, holding its weights one after the other, row-major, little-endian (:func:`read_tfjs_weights`).
"""

from __future__ import annotations

import json
import math
import re
import struct
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

#: The last 8 bytes of every LevelDB table.
TABLE_MAGIC = 0xDB4775248B80FB57
FOOTER_SIZE = 48
#: A block is followed by its compression type (1 byte) and masked CRC-32C (4 bytes).
BLOCK_TRAILER_SIZE = 5
#: TensorFlow's ``DataType`` enum -> numpy dtype, for the numeric types a checkpoint holds.
DTYPES = {1: np.float32, 2: np.float64, 3: np.int32, 4: np.uint8, 5: np.int16, 6: np.int8, 9: np.int64,
          10: np.bool_, 17: np.uint16, 19: np.float16, 22: np.uint32, 23: np.uint64}
DTYPE_NAMES = {7: "string", 8: "complex64", 14: "bfloat16", 18: "complex128", 20: "resource", 21: "variant"}


# ------------------------------------------------------------------------------- CRC-32C
_CASTAGNOLI = 0x82F63B78  # the reflected polynomial of CRC-32C


@cache
def _byte_table() -> np.ndarray:
    """(256,) uint32: the register update for one input byte, the classic table-driven CRC."""
    table = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        table = np.where(table & 1, (table >> 1) ^ np.uint32(_CASTAGNOLI), table >> 1)
    return table


def _process(states: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """CRC registers (lanes,) after the bytes (lanes, length), one lane per row, all lanes at once."""
    table = _byte_table()
    for column in columns.T:
        states = table[(states ^ column) & 0xFF] ^ (states >> 8)
    return states


def crc32c(data: bytes | memoryview) -> int:
    """CRC-32C (Castagnoli) of ``data``, the checksum TensorFlow and LevelDB store.

    Vectorised so that tens of megabytes take a fraction of a second: the bytes are cut into about
    sqrt(n) equal lanes whose registers advance together; since the register is linear, lane i's
    contribution is then shifted past the lanes after it (by the effect of as many zero bytes)
    and XOR-ed in, and the few bytes left over finish the register.
    """
    buffer = np.frombuffer(data, dtype=np.uint8)
    length = max(1, math.isqrt(buffer.size))
    lanes = buffer.size // length
    starts = np.zeros(lanes, dtype=np.uint32)
    if lanes:
        starts[0] = 0xFFFFFFFF
    states = _process(starts, buffer[: lanes * length].reshape(lanes, length))
    shifted = _zero_shift_tables(length)
    register = int(states[0]) if lanes else 0xFFFFFFFF
    for state in states[1:]:
        register = int(shifted[0, register & 0xFF] ^ shifted[1, (register >> 8) & 0xFF]
                       ^ shifted[2, (register >> 16) & 0xFF] ^ shifted[3, register >> 24]) ^ int(state)
    tail = buffer[lanes * length:]
    register = int(_process(np.array([register], dtype=np.uint32), tail[None, :])[0])
    return register ^ 0xFFFFFFFF


def _zero_shift_tables(length: int) -> np.ndarray:
    """(4, 256) uint32: ``[k, v]`` is register ``v << 8k`` after ``length`` zero bytes."""
    registers = (np.arange(256, dtype=np.uint32)[None, :] << (8 * np.arange(4, dtype=np.uint32))[:, None]).ravel()
    return _process(registers, np.zeros((registers.size, length), dtype=np.uint8)).reshape(4, 256)


def masked_crc32c(data: bytes | memoryview) -> int:
    """The CRC-32C as LevelDB and TensorFlow store it: rotated right by 15 bits plus a constant."""
    crc = crc32c(data)
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


# ------------------------------------------------------------------------- protobuf wire
def _varint(data: bytes, position: int) -> tuple[int, int]:
    """(value, next position) of the base-128 varint at ``position``."""
    value = shift = 0
    while True:
        if position >= len(data):
            raise ValueError("a varint runs past the end of its record")
        byte = data[position]
        value |= (byte & 0x7F) << shift
        position += 1
        if byte < 0x80:
            return value, position
        shift += 7


def _fields(message: bytes) -> list[tuple[int, int | bytes]]:
    """A protobuf message -> its (field number, value) pairs: ints for varint and fixed-size fields,
    bytes for length-delimited ones (sub-messages, strings, packed arrays)."""
    fields, position = [], 0
    while position < len(message):
        key, position = _varint(message, position)
        number, wire_type = key >> 3, key & 7
        if wire_type == 0:
            value, position = _varint(message, position)
        elif wire_type in (1, 5):
            size = 8 if wire_type == 1 else 4
            value = int.from_bytes(message[position : position + size], "little")
            position += size
        elif wire_type == 2:
            size, position = _varint(message, position)
            value = message[position : position + size]
            position += size
        else:
            raise ValueError(f"unsupported protobuf wire type {wire_type}")
        if position > len(message):
            raise ValueError("a protobuf field runs past the end of its record")
        fields.append((number, value))
    return fields


@dataclass(frozen=True)
class TensorEntry:
    """Where one variable lives (a decoded ``BundleEntryProto``)."""

    dtype: int
    shape: tuple[int, ...]
    shard: int
    offset: int
    size: int
    crc32c: int  # masked
    sliced: bool  # a partitioned variable, stored as slices under other keys


#: BundleEntryProto's scalar fields (2 is the shape, a TensorShapeProto; 7 the slices).
ENTRY_FIELDS = {1: "dtype", 3: "shard", 4: "offset", 5: "size", 6: "crc32c"}


def _entry(value: bytes) -> TensorEntry:
    """A BundleEntryProto; its shape is a TensorShapeProto whose ``dim`` (field 2) each hold a ``size`` (1)."""
    scalars = dict.fromkeys(ENTRY_FIELDS.values(), 0)
    shape, sliced = b"", False
    for number, field in _fields(value):
        if number in ENTRY_FIELDS:
            scalars[ENTRY_FIELDS[number]] = field
        elif number == 2:
            shape = field
        elif number == 7:
            sliced = True
    dims = tuple(dict(_fields(dim)).get(1, 0) for number, dim in _fields(shape) if number == 2)
    return TensorEntry(shape=dims, sliced=sliced, **scalars)


# ------------------------------------------------------------------------------- SSTable
def _block(table: bytes, offset: int, size: int, path: Path) -> bytes:
    """The contents of the block at ``offset``, its trailer checked."""
    end = offset + size + BLOCK_TRAILER_SIZE
    if end > len(table):
        raise ValueError(f"{path} is truncated: a block ends at byte {end} of {len(table)}")
    contents = table[offset : offset + size]
    compression, stored = table[offset + size], int.from_bytes(table[offset + size + 1 : end], "little")
    if masked_crc32c(contents + bytes([compression])) != stored:
        raise ValueError(f"{path} is corrupt: a block's checksum does not match")
    if compression != 0:
        raise ValueError(f"{path} has compressed blocks (type {compression}); TensorFlow writes them uncompressed")
    return contents


def _block_entries(block: bytes) -> list[tuple[bytes, bytes]]:
    """The (key, value) entries of a block: each key shares a prefix with the one before it."""
    (restarts,) = struct.unpack_from("<I", block, len(block) - 4)
    end = len(block) - 4 - 4 * restarts
    entries, key, position = [], b"", 0
    while position < end:
        shared, position = _varint(block, position)
        unshared, position = _varint(block, position)
        size, position = _varint(block, position)
        key = key[:shared] + block[position : position + unshared]
        position += unshared
        entries.append((key, block[position : position + size]))
        position += size
    return entries


def _handle(value: bytes) -> tuple[int, int]:
    """A BlockHandle: (offset, size) as two varints."""
    offset, position = _varint(value, 0)
    size, _ = _varint(value, position)
    return offset, size


def read_table(path: Path) -> dict[bytes, bytes]:
    """Every (key, value) of an SSTable file, in key order."""
    table = path.read_bytes()
    if len(table) < FOOTER_SIZE or int.from_bytes(table[-8:], "little") != TABLE_MAGIC:
        raise ValueError(f"{path} is not a TensorFlow checkpoint index (no table footer): truncated or another file")
    footer = table[-FOOTER_SIZE:]
    _, position = _varint(footer, _varint(footer, 0)[1])  # skip the metaindex handle
    index_offset, position = _varint(footer, position)
    index_size, _ = _varint(footer, position)
    entries: dict[bytes, bytes] = {}
    for _, handle in _block_entries(_block(table, index_offset, index_size, path)):
        entries.update(_block_entries(_block(table, *_handle(handle), path)))
    return entries


# ---------------------------------------------------------------------------- checkpoint
class TFCheckpoint:
    """The variables of the checkpoint ``prefix`` (``PREFIX.index`` + its data shards), read on demand.

        checkpoint = TFCheckpoint(Path("stage_00012/model.ckpt-11000000"))
        checkpoint.shapes["Generator/.../kernel"]     # (3, 3, 256, 256)
        checkpoint.read("Generator/.../kernel")       # numpy array, checksum verified
    """

    def __init__(self, prefix: Path):
        self.prefix = Path(prefix)
        self.index_path = Path(f"{self.prefix}.index")
        if not self.index_path.is_file():
            raise ValueError(f"checkpoint index not found: {self.index_path}")
        records = read_table(self.index_path)
        header = dict(_fields(records.pop(b"", b"")))
        if header.get(2, 0) != 0:
            raise ValueError(f"{self.index_path} was written big-endian; only little-endian checkpoints are read")
        self.num_shards = header.get(1, 1)
        try:
            self.entries = {key.decode(): _entry(value) for key, value in records.items()}
        except (ValueError, UnicodeDecodeError) as error:
            raise ValueError(f"{self.index_path} has an unreadable entry ({error})") from error
        self._check_shards()

    def _check_shards(self) -> None:
        """Every data shard exists and is as long as its variables need: a truncated download fails
        here, whichever variables it cut."""
        for shard in range(self.num_shards):
            path = self.shard_path(shard)
            if not path.is_file():
                raise ValueError(f"the data file {path} of {self.index_path} is missing")
            needed = max((entry.offset + entry.size for entry in self.entries.values() if entry.shard == shard),
                         default=0)
            if path.stat().st_size < needed:
                raise ValueError(f"{path} is truncated: it has {path.stat().st_size} bytes, its index needs {needed}")

    @property
    def shapes(self) -> dict[str, tuple[int, ...]]:
        """Variable name -> shape, for every variable (nothing is read)."""
        return {name: entry.shape for name, entry in self.entries.items()}

    def shard_path(self, shard: int) -> Path:
        return Path(f"{self.prefix}.data-{shard:05d}-of-{self.num_shards:05d}")

    def read(self, name: str) -> np.ndarray:
        """The variable ``name`` as a numpy array of its shape; ``ValueError`` naming the variable and
        the file when it is absent, of an unreadable type, truncated or corrupt."""
        if name not in self.entries:
            raise ValueError(f"{self.index_path} has no variable {name!r}")
        entry = self.entries[name]
        if entry.sliced or entry.dtype not in DTYPES:
            kind = "a partitioned variable" if entry.sliced else f"of type {DTYPE_NAMES.get(entry.dtype, entry.dtype)}"
            raise ValueError(f"{name} in {self.index_path} is {kind}, which is not read")
        path = self.shard_path(entry.shard)
        dtype = np.dtype(DTYPES[entry.dtype]).newbyteorder("<")
        if entry.size != math.prod(entry.shape) * dtype.itemsize:
            raise ValueError(f"{name} in {self.index_path}: {entry.size} bytes for shape {entry.shape}")
        with path.open("rb") as handle:
            handle.seek(entry.offset)
            data = handle.read(entry.size)
        if len(data) != entry.size:
            raise ValueError(f"{path} is truncated: {name} needs bytes {entry.offset}-{entry.offset + entry.size}")
        if masked_crc32c(data) != entry.crc32c:
            raise ValueError(f"{path} is corrupt: the checksum of {name} does not match")
        return np.frombuffer(data, dtype=dtype).reshape(entry.shape).copy()


def latest_checkpoint(folder: Path) -> Path:
    """The checkpoint prefix a ``tf.train.Saver`` folder's ``checkpoint`` file names as the latest
    (``model_checkpoint_path``), or the folder's only ``*.index`` when there is no such file."""
    state = folder / "checkpoint"
    if state.is_file():
        match = re.search(r'^model_checkpoint_path:\s*"(.+)"', state.read_text(), flags=re.MULTILINE)
        if match is None:
            raise ValueError(f"{state} names no model_checkpoint_path")
        return folder / Path(match.group(1)).name
    indexes = sorted(folder.glob("*.index"))
    if len(indexes) != 1:
        raise ValueError(f"{folder} has no 'checkpoint' file and {len(indexes)} *.index files; expected one")
    return indexes[0].with_suffix("")


# ------------------------------------------------------------------------ TensorFlow.js
#: TensorFlow.js dtypes of unquantised weights.
TFJS_DTYPES = {"float32": np.float32, "int32": np.int32}


def read_tfjs_weights(folder: Path) -> dict[str, np.ndarray]:
    """Every weight of a TensorFlow.js ``weights_manifest.json`` and its shards, by name; ``ValueError``
    naming the file or the weight for a missing or truncated shard or a weight that is not read."""
    manifest_path = folder / "weights_manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text())
        groups = [(list(group["paths"]), list(group["weights"])) for group in manifest]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ValueError(f"{manifest_path} is not a TensorFlow.js weights manifest ({error})") from error
    weights: dict[str, np.ndarray] = {}
    for paths, specs in groups:
        missing = [path for path in paths if not (folder / path).is_file()]
        if missing:
            raise ValueError(f"{manifest_path} names shard files that are missing: {missing}")
        stream = b"".join((folder / path).read_bytes() for path in paths)
        position = 0
        for spec in specs:
            name, shape = spec["name"], tuple(spec["shape"])
            if "quantization" in spec or spec.get("dtype") not in TFJS_DTYPES:
                kind = "quantised" if "quantization" in spec else f"of dtype {spec.get('dtype')!r}"
                raise ValueError(f"{name} in {manifest_path} is {kind}; only float32 and int32 weights are read")
            dtype = np.dtype(TFJS_DTYPES[spec["dtype"]]).newbyteorder("<")
            size = math.prod(shape) * dtype.itemsize
            if position + size > len(stream):
                raise ValueError(f"the shards {paths} are truncated: {name} needs bytes {position}-{position + size} "
                                 f"of {len(stream)}")
            weights[name] = np.frombuffer(stream, dtype, math.prod(shape), position).reshape(shape).copy()
            position += size
        if position != len(stream):
            raise ValueError(f"the shards {paths} hold {len(stream)} bytes; {manifest_path} describes {position}")
    return weights
