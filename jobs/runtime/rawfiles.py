"""Raw export files of a run date: listing, header probing and the checks that name a bad file.

Listing and probing go through Hadoop's FileSystem API in the driver's JVM, so ``file:``,
``hdfs://`` and every other Hadoop file system behave the same. Work here is per file (a listing
and the first line of each), never per row. :func:`check_header` is pure Python and holds every
rule that decides whether a file's layout matches its feed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

from jobs.runtime.config import Feed
from transformations.ingestion.bronze import split_line
from transformations.ingestion.charsets import decoded_header

# Delimiters a misconfigured export commonly uses instead of the declared one.
COMMON_DELIMITERS = (";", ",", "\t", "|")
MAX_HEADER_BYTES = 1 << 20
MAX_LEADING_BLANK_LINES = 100     # before the header; the lines themselves are landed (cleanse quarantines them)
_UTF8_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class RawFile:
    """One file of a feed's date directory: ``path`` as Hadoop prints it (what readers take),
    ``uri`` as Spark's ``_metadata.file_path`` spells it (escaped), ``size`` in bytes;
    ``hidden`` is the part of its path below the directory that hides it (``_temporary``,
    ``.upload.csv``), or ``None``."""

    path: str
    uri: str
    size: int
    hidden: Optional[str] = None


@dataclass
class FileProfile:
    """What ingest knows about a file before and after reading it.

    ``problem`` is ``None`` for a good file. ``field_index`` maps each curated field to its
    0-based position in the file's header (``None`` when the header lacks it).
    """

    path: str
    size: int
    uri: str = ""
    header: Optional[str] = None
    field_index: Dict[str, Optional[int]] = field(default_factory=dict)
    field_count: Optional[int] = None
    problem: Optional[str] = None
    read: bool = True                 # False: nothing to read (empty file, unreadable first line)
    hidden: bool = False              # a work file or marker, not read (see list_files)
    salvaged: bool = False            # read past a corruption (truncated gzip...)
    warnings: List[str] = field(default_factory=list)


def display_delimiter(delimiter: str) -> str:
    return {"\t": "TAB", " ": "SPACE"}.get(delimiter, delimiter)


def check_header(raw: Optional[bytes], feed: Feed, path: str, size: int, uri: str = "") -> FileProfile:
    """Check a file's first line against its feed's layout.

    Parameters
    ----------
    raw
        The first line's bytes without the line break, or ``None`` when the file has no line.
    feed
        The feed's layout from conf.
    path, size, uri
        The file, for the profile (``uri`` defaults to ``path``).

    Returns
    -------
    FileProfile
        With ``problem`` set when the file cannot be read as this feed: empty, binary, a header
        split by another delimiter, or required columns missing. Optional columns that are
        missing only give a warning (their values will be null).
    """
    profile = FileProfile(path=path, size=size, uri=uri or path)
    if raw is None or size == 0:
        profile.problem, profile.read = "empty file (no header, no records)", False
        return profile
    if raw.startswith(_UTF8_BOM):
        raw = raw[len(_UTF8_BOM):]
    if b"\x00" in raw or _control_share(raw) > 0.05:
        profile.problem = "not a text file: the first line holds binary bytes"
        return profile
    text = decoded_header(raw, feed.encoding, feed.fallback_encoding)
    if text is None:
        profile.problem = f"not a text file: the first line is not {feed.encoding} text"
        return profile
    # column names match whatever their case: a tool that upper-cases the header changes nothing else
    names = [name.strip().lower() for name in split_line(text, feed.delimiter, feed.quote)]
    wanted = {rule.source.lower(): name for name, rule in feed.fields.items()}
    if len(names) == 1:
        other = next((d for d in COMMON_DELIMITERS if d != feed.delimiter and d != feed.quote
                      and len(split_line(text, d, feed.quote)) > 1
                      and {n.strip().lower() for n in split_line(text, d, feed.quote)} & set(wanted)), None)
        if other is not None:
            profile.problem = (f"wrong delimiter: the header splits on '{display_delimiter(other)}', "
                               f"the feed declares '{display_delimiter(feed.delimiter)}'")
            return profile
    positions = {source: i for i, source in reversed(list(enumerate(names)))}
    if not set(positions) & set(wanted):
        profile.problem = (f"no header: the first line names none of the feed's columns "
                           f"(its shape, digits masked: {_shape(text)})")
        return profile
    missing_required = [rule.source for rule in feed.fields.values()
                        if rule.required and rule.source.lower() not in positions]
    if missing_required:
        profile.problem = f"missing columns: {', '.join(missing_required)}"
        return profile
    missing_optional = [rule.source for rule in feed.fields.values() if rule.source.lower() not in positions]
    if missing_optional:
        profile.warnings.append(f"optional columns absent, left null: {', '.join(missing_optional)}")
    duplicated = sorted({n for n in names if names.count(n) > 1 and n in wanted})
    if duplicated:
        profile.warnings.append(f"columns named twice, the first is read: {', '.join(duplicated)}")
    profile.header = text
    profile.field_count = len(names)
    profile.field_index = {name: positions.get(rule.source.lower()) for name, rule in feed.fields.items()}
    return profile


def _control_share(raw: bytes) -> float:
    controls = sum(1 for b in raw if b < 0x20 and b not in (0x09, 0x0d))
    return controls / max(len(raw), 1)


def _shape(text: str, width: int = 60) -> str:
    # A first line that is not a header is a record: it may hold subscriber identifiers, and this
    # text goes to logs and reports. Every digit becomes a 9, as in the quarantine's masked lines.
    clipped = text if len(text) <= width else text[:width] + "..."
    return re.sub(r"[0-9]", "9", clipped)


# --------------------------------------------------------------------------------------------
# Hadoop file system access (driver JVM)
# --------------------------------------------------------------------------------------------
def list_files(spark, directory: str, done_flag: Optional[str] = None) -> List[RawFile]:
    """Files under ``directory`` (recursively), hidden ones included and marked.

    A file is hidden when a part of its path below ``directory`` starts with ``_`` or ``.``
    (Hadoop's convention for work files: a ``_temporary/`` folder, an upload in progress). Not
    listed at all, as they hold no data: Hadoop's checksum of a listed file (``.x.csv.crc`` next
    to ``x.csv``), a job's ``_SUCCESS`` marker, and the directory's own ``done_flag`` (the
    scheduler's signal that the day is complete). A missing directory gives an empty list.
    """
    jvm = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(directory)
    fs = path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    if not fs.exists(path):
        return []
    root = fs.makeQualified(path).toUri().getPath().rstrip("/")
    listed, iterator = {}, fs.listFiles(path, True)
    while iterator.hasNext():
        status = iterator.next()
        below = tuple(status.getPath().toUri().getPath()[len(root):].strip("/").split("/"))
        listed[below] = status
    found = []
    for below, status in listed.items():
        name = below[-1]
        checksum_of = below[:-1] + (name[1:-len(".crc")],) if name.startswith(".") and name.endswith(".crc") else None
        if below == (done_flag,) or name == "_SUCCESS" or checksum_of in listed:
            continue
        found.append(RawFile(path=status.getPath().toString(), uri=normal_uri(status.getPath().toUri().toString()),
                             size=int(status.getLen()),
                             hidden=next((part for part in below if part.startswith((".", "_"))), None)))
    return sorted(found, key=lambda f: f.path)


def hidden_warning(hidden: str) -> str:
    """Why a hidden file is not read (it is named in the report, never passed over in silence)."""
    return f"not read: hidden by '{hidden}' (a name starting with '_' or '.' marks a work file or marker)"


def glob_escaped(path: str) -> str:
    """``path`` with Hadoop's glob characters escaped, so that a reader takes it as one file.

    Spark expands a path holding any of ``{}[]*?\\`` as a glob pattern: ``export[1].csv`` would
    read ``export1.csv`` instead, and ``a{b}.csv`` would not be found.
    """
    return re.sub(r"([{}\[\]*?\\])", r"\\\1", path)


def unsupported_name(path: str, suffixes: Sequence[str]) -> Optional[str]:
    """The problem of a file whose name does not end with one of ``suffixes``, else ``None``.

    The name is what tells Spark the compression (``.gz``, ``.bz2``) and the file a text export,
    so a file named otherwise (``.zip``, ``.dat``) is not read; it is named, never passed over.
    """
    if path.lower().endswith(tuple(s.lower() for s in suffixes)):
        return None
    return f"not read: the name does not end with {', '.join(suffixes)} (ingest.file_suffixes in conf)"


def read_first_line(spark, path: str) -> Optional[bytes]:
    """The first line of a file that is not blank (decompressed by its extension, as Spark reads
    it), or ``None`` for a file without one. Blank lines before a header do not hide it.

    Raises
    ------
    Exception
        The JVM's error when the file cannot be decompressed (e.g. "not in gzip format").
    """
    jvm = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    hpath = jvm.org.apache.hadoop.fs.Path(path)
    stream = hpath.getFileSystem(conf).open(hpath)
    try:
        codec = jvm.org.apache.hadoop.io.compress.CompressionCodecFactory(conf).getCodec(hpath)
        source = codec.createInputStream(stream) if codec is not None else stream
        reader = jvm.org.apache.hadoop.util.LineReader(source)
        line = jvm.org.apache.hadoop.io.Text()
        for _ in range(MAX_LEADING_BLANK_LINES + 1):
            if reader.readLine(line, MAX_HEADER_BYTES, MAX_HEADER_BYTES) == 0:
                return None
            first = bytes(line.copyBytes())
            if first.removeprefix(_UTF8_BOM).strip():
                return first
        return first
    finally:
        stream.close()


def java_error_line(error: Exception) -> str:
    """The first line of a JVM exception's message, without py4j's wrapping."""
    text = str(getattr(error, "java_exception", error))
    return text.strip().splitlines()[0][:300] if text.strip() else type(error).__name__


_FAILED_FILE = re.compile(r"Encountered error while reading file (\S+?)\.?\s+SQLSTATE|"
                          r"Encountered error while reading file (\S+?)\.\s")


def failed_file(error: Exception) -> Optional[str]:
    """The file named by Spark's ``FAILED_READ_FILE`` error in ``error``, or ``None``."""
    match = _FAILED_FILE.search(str(error))
    return (match.group(1) or match.group(2)) if match else None


def same_file(a: str, b: str) -> bool:
    """Whether two spellings of a file URI name the same file (``file:/x`` == ``file:///x``)."""
    return normal_uri(a) == normal_uri(b)


def normal_uri(uri: str) -> str:
    """One spelling per file URI, for lookups (``file:///x`` -> ``file:/x``)."""
    return re.sub(r"^file:/+", "file:/", uri)
