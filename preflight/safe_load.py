"""Bounded reading of untrusted input files: manifests, stack files, event logs, stack outputs.

Every input a pull request can change goes through here, so no input of any shape can exhaust the
runner or slip past the gate unread:
- bytes are decoded as kubectl decodes them: UTF-8 (a UTF-8 byte-order mark is dropped), or
  UTF-16/UTF-32 only when a byte-order mark says so; anything else is an error;
- a file larger than `max_file_bytes` is not read at all;
- YAML goes through the safe loader (libyaml's when present), which already refuses nesting past
  1000 levels and arbitrary tags; duplicate keys are an error, since what a reviewer reads and what
  a tool applies would differ;
- the loaded value is then measured without expanding it: nesting depth, alias references and the
  number of nodes it would have with every alias expanded (a "billion laughs" file of a few hundred
  bytes has billions). Recursive aliases are an error.
The limits are settings (`Limits`), raised from the command line where an input legitimately needs it.
"""
from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterator

import yaml

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int = 8 * MIB
    max_documents: int = 5_000  # per file
    max_aliases: int = 1_000  # alias references per file
    max_depth: int = 100  # nesting of mappings and lists
    max_nodes: int = 1_000_000  # per file, every alias expanded
    # Whether the user can raise these from the command line (stack files have fixed limits).
    raisable: bool = True

    # Command-line flag, attribute, help: one place for the CLI and the README.
    FLAGS = (
        ("--max-file-bytes", "max_file_bytes", "largest input file read, in bytes"),
        ("--max-documents", "max_documents", "YAML documents per file"),
        ("--max-aliases", "max_aliases", "YAML alias references per file"),
        ("--max-depth", "max_depth", "nesting depth of mappings and lists"),
        ("--max-nodes", "max_nodes", "values per file with every alias expanded, and per scan in all"),
    )


DEFAULT_LIMITS = Limits()


def _past(limits: Limits, what: str, flag: str) -> str:
    """The message for an input past a limit, with the flag that raises it where there is one."""
    return f"{what} (raise {flag} to read it)" if limits.raisable else what


class LoadError(Exception):
    """An input that was not read or not judged: where, and why."""

    def __init__(self, path: str, line: int | None, message: str):
        self.path, self.line, self.message = path, line, message
        super().__init__(f"{path}:{line}: {message}" if line else f"{path}: {message}")

    def __reduce__(self):  # pickled by value (a scan's parallel readers send their errors back)
        return LoadError, (self.path, self.line, self.message)


@dataclass(frozen=True)
class Document:
    """One YAML document of a stream: its value, or why it could not be loaded."""

    line: int
    value: Any = None
    error: LoadError | None = None
    nodes: int | None = None  # its values with every alias expanded, when measured


_BOMS = (  # longest first: the UTF-32 LE mark begins with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_DOCUMENT_SEPARATOR = re.compile(r"^---\s*(#.*)?$")
_BASE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: parsing dominates a scan


class _StrictLoader(_BASE_LOADER):  # type: ignore[misc, valid-type]
    """The safe loader, refusing duplicate keys in a mapping (merge keys may still be overridden).

    A document that is a plain tree (standard tags, text keys or other scalar keys, no alias, no
    merge key, no repeated key) is built by one tight walk over the composed nodes; anything else
    goes through the safe constructor itself, which then decides (and raises) exactly as before.
    The walk gives the same value the constructor would, in a third of the time.
    """

    # Children per nesting level of the last document the quick walk built (None: the constructor built it).
    plain_levels: list[int] | None = None

    def construct_document(self, node):
        try:
            self.plain_levels = []
            return _plain_tree(self, node, self.plain_levels)
        except _NotPlainTree:
            self.plain_levels = None
            return super().construct_document(node)

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: set[tuple[str, str]] = set()
            for key_node, _ in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                    key = (key_node.tag, key_node.value)
                    if key in seen:
                        raise yaml.constructor.ConstructorError(
                            None, None, f"duplicate key {key_node.value!r}", key_node.start_mark)
                    seen.add(key)
        return super().construct_mapping(node, deep=deep)


_StrictLoader.add_constructor("tag:yaml.org,2002:map", _StrictLoader.construct_yaml_map)

_STR, _MAP, _SEQ = "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
# Scalar tags whose safe constructors are plain functions of the node (no state, no generators).
_SCALAR_TAGS = frozenset("tag:yaml.org,2002:" + t for t in ("null", "bool", "int", "float", "binary", "timestamp"))
# Deeper documents are left to the constructor (and to `measure`, which refuses them at max_depth).
_PLAIN_DEPTH = 200


class _NotPlainTree(Exception):
    """The document needs the safe constructor itself."""


def _plain_tree(loader: Any, root: Any, levels: list[int]) -> Any:
    """The document's value; `levels` gets, per nesting level of containers, how many children they hold."""
    seen: set[int] = set()
    scalar_node, mapping_node, sequence_node = yaml.ScalarNode, yaml.MappingNode, yaml.SequenceNode
    constructors = loader.yaml_constructors

    def scalar(node: Any) -> Any:
        if node.tag == _STR:
            return node.value
        if node.tag not in _SCALAR_TAGS:
            raise _NotPlainTree
        return constructors[node.tag](loader, node)

    def build(node: Any, depth: int) -> Any:
        if id(node) in seen or depth > _PLAIN_DEPTH:  # an alias, or far too deep: the constructor's case
            raise _NotPlainTree
        seen.add(id(node))
        kind = node.__class__
        if kind is scalar_node:
            return scalar(node)
        if len(levels) <= depth:
            levels.append(0)
        levels[depth] += len(node.value)
        if kind is mapping_node and node.tag == _MAP:
            mapping = {}
            for key_node, value_node in node.value:
                if key_node.__class__ is not scalar_node or id(key_node) in seen:
                    raise _NotPlainTree  # a complex key, a merge key (its own tag), an aliased key
                seen.add(id(key_node))
                key = scalar(key_node)
                if key in mapping:
                    raise _NotPlainTree  # the constructor says which key repeats
                mapping[key] = build(value_node, depth + 1)
            return mapping
        if kind is sequence_node and node.tag == _SEQ:
            return [build(child, depth + 1) for child in node.value]
        raise _NotPlainTree

    return build(root, 0)


def decode(data: bytes, path: str) -> str:
    """Text of a file as kubectl reads it; raises LoadError for any other encoding."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(encoding)
            except UnicodeDecodeError as err:
                raise LoadError(path, None, f"not valid {encoding.upper()} after its byte-order mark: {err.reason} at byte {err.start}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise LoadError(path, line, f"not UTF-8 text ({err.reason} at byte {err.start}); "
                        "save it as UTF-8, or as UTF-16/32 with a byte-order mark") from None


def read_text(path: Path, limits: Limits = DEFAULT_LIMITS, shown: str | None = None) -> str:
    """A file's text, read no further than the size limit."""
    shown = shown or path.as_posix()
    try:
        with open(path, "rb") as handle:
            data = handle.read(limits.max_file_bytes + 1)
    except OSError as err:
        raise LoadError(shown, None, f"cannot read: {err.strerror or err}") from None
    if len(data) > limits.max_file_bytes:
        raise LoadError(shown, None, _past(limits, f"larger than {limits.max_file_bytes} bytes", "--max-file-bytes"))
    return decode(data, shown)


def measure(value: Any, limits: Limits, path: str, line: int | None) -> tuple[int, int]:
    """(nodes with aliases expanded, alias references) of a loaded value, without expanding it.

    Almost every input is a plain tree, measured by one light walk; only a value that shares a
    container (a YAML alias) takes the memoised walk below.
    """
    nodes = _tree_size(value, limits, path, line)
    if nodes is not None:
        return nodes, 0
    return _shared_size(value, limits, path, line)


def measure_levels(levels: list[int], limits: Limits, path: str, line: int | None) -> int:
    """What `measure` finds for a plain tree whose containers hold `levels[k]` children at nesting
    level k (the loader counts them as it builds the value): its node count, or the same LoadError."""
    nodes = 1
    for depth, children in enumerate(levels, start=1):
        if depth > limits.max_depth:
            raise _deeper(limits, path, line)
        nodes += children
        if nodes > limits.max_nodes:
            raise _too_many(limits, path, line)
    return nodes


def _deeper(limits: Limits, path: str, line: int | None) -> LoadError:
    return LoadError(path, line, _past(limits, f"nested deeper than {limits.max_depth} levels", "--max-depth"))


def _too_many(limits: Limits, path: str, line: int | None) -> LoadError:
    return LoadError(path, line, _past(limits, f"more than {limits.max_nodes} values", "--max-nodes"))


def _tree_size(value: Any, limits: Limits, path: str, line: int | None) -> int | None:
    """Node count of a value that is a plain tree; None as soon as a container is met twice."""
    if not isinstance(value, (dict, list)):
        return 1
    seen: set[int] = set()
    nodes = 1
    level = [value]  # breadth first, one level at a time: the depth is the number of levels
    for depth in range(1, limits.max_depth + 2):
        if not level:
            return nodes
        if depth > limits.max_depth:
            raise _deeper(limits, path, line)
        below = []
        for node in level:
            if id(node) in seen:
                return None
            seen.add(id(node))
            children = node.values() if isinstance(node, dict) else node
            nodes += len(children)
            below += [child for child in children if isinstance(child, (dict, list))]
        if nodes > limits.max_nodes:
            raise _too_many(limits, path, line)
        level = below
    return nodes


def _shared_size(value: Any, limits: Limits, path: str, line: int | None) -> tuple[int, int]:
    """Iterative and memoised by object identity: a shared (aliased) container is sized once and
    counted every time it is referenced. Raises LoadError past a limit or on a recursive alias.
    """
    sizes: dict[int, tuple[int, int]] = {}  # id -> (expanded nodes, height)
    in_progress: set[int] = set()
    aliases = 0
    stack: list[tuple[Any, bool]] = [(value, False)]
    while stack:
        node, children_done = stack.pop()
        if not isinstance(node, (dict, list)):
            continue
        key = id(node)
        children = list(node.values()) if isinstance(node, dict) else node
        if children_done:
            in_progress.discard(key)
            total, height = 1, 1
            for child in children:
                child_size, child_height = sizes.get(id(child), (1, 0)) if isinstance(child, (dict, list)) else (1, 0)
                total += child_size
                height = max(height, child_height + 1)
            if height > limits.max_depth:
                raise _deeper(limits, path, line)
            if total > limits.max_nodes:
                raise LoadError(path, line, _past(limits, f"more than {limits.max_nodes} values with aliases expanded "
                                                  "(an alias bomb?)", "--max-nodes"))
            sizes[key] = (total, height)
            continue
        if key in in_progress:
            raise LoadError(path, line, "a recursive alias (a value that contains itself)")
        if key in sizes:
            aliases += 1
            if aliases > limits.max_aliases:
                raise LoadError(path, line, _past(limits, f"more than {limits.max_aliases} alias references", "--max-aliases"))
            continue
        in_progress.add(key)
        stack.append((node, True))
        if len(in_progress) > limits.max_depth:
            raise _deeper(limits, path, line)
        for child in children:
            if isinstance(child, (dict, list)):
                if id(child) in in_progress:
                    raise LoadError(path, line, "a recursive alias (a value that contains itself)")
                if id(child) in sizes:
                    aliases += 1
                    if aliases > limits.max_aliases:
                        raise LoadError(path, line, _past(limits, f"more than {limits.max_aliases} alias references", "--max-aliases"))
                else:
                    stack.append((child, False))
    root = sizes.get(id(value), (1, 0))[0] if isinstance(value, (dict, list)) else 1
    return root, aliases


def _yaml_error(err: yaml.YAMLError, path: str, first_line: int) -> LoadError:
    mark = getattr(err, "problem_mark", None)
    line = first_line + mark.line if mark is not None else first_line
    return LoadError(path, line, f"not valid YAML: {getattr(err, 'problem', None) or err}")


def _parse(text: str, path: str, first_line: int, limits: Limits, every: bool = False) -> tuple[Any, list[int] | None]:
    """(the document, or every document when `every`; the plain tree's levels when the quick walk
    built the one document), turning every way a YAML load can fail into a LoadError."""
    loader = _StrictLoader(text)
    try:
        value = list(loader.get_data() for _ in iter(loader.check_data, False)) if every else loader.get_single_data()
        return value, None if every else loader.plain_levels
    except yaml.YAMLError as err:
        raise _yaml_error(err, path, first_line) from None
    except RecursionError:
        raise LoadError(path, first_line, f"nested deeper than {limits.max_depth} levels") from None
    except (ValueError, TypeError, OverflowError) as err:  # e.g. a timestamp 2024-13-45, a 5000-digit int
        raise LoadError(path, first_line, f"not a valid YAML value: {err}") from None
    finally:
        loader.dispose()


def _chunks(text: str) -> Iterator[tuple[int, str]]:
    """Splits a multi-document stream so one broken document does not hide the others.

    Lines are split at newlines only, and each chunk is the original text: a character that only
    Python calls a line break (a vertical tab, a form feed) stays in it, for the parser to refuse as
    kubectl's parser does, rather than being turned into a newline.
    """
    if "---" not in text:  # one document (most files): the text itself, without a look at every line
        yield 1, text
        return
    start, lines = 1, []
    for number, line in enumerate(text.split("\n"), start=1):
        if _DOCUMENT_SEPARATOR.match(line):
            yield start, "\n".join(lines)
            start, lines = number + 1, []
        else:
            lines.append(line)
    yield start, "\n".join(lines)


def yaml_documents(text: str, path: str, limits: Limits = DEFAULT_LIMITS) -> Iterator[Document]:
    """Each document of a YAML stream with the line it starts on; a broken one carries its error.

    Limits on nodes and aliases hold for the file as a whole, so a file cannot spread a bomb over
    many small documents.
    """
    nodes = aliases = 0
    for count, (first_line, chunk) in enumerate(_chunks(text), start=1):
        if count > limits.max_documents:
            yield Document(first_line, error=LoadError(path, first_line, _past(
                limits, f"more than {limits.max_documents} documents; the rest is not read", "--max-documents")))
            return
        try:
            value, levels = _parse(chunk, path, first_line, limits)
        except LoadError as err:
            yield Document(first_line, error=err)
            continue
        remaining = replace(limits, max_aliases=limits.max_aliases - aliases, max_nodes=limits.max_nodes - nodes)
        try:
            size, used = (measure_levels(levels, remaining, path, first_line), 0) if levels is not None \
                else measure(value, remaining, path, first_line)
        except LoadError as err:
            yield Document(first_line, error=err)  # not counted: the budget stays for the documents after it
            continue
        nodes, aliases = nodes + size, aliases + used
        yield Document(first_line, value, nodes=size)


def load_yaml(path: Path, limits: Limits = DEFAULT_LIMITS, shown: str | None = None) -> Any:
    """The single YAML document of a file (settings files); raises LoadError."""
    shown = shown or path.as_posix()
    documents, _ = _parse(read_text(path, limits, shown), shown, 1, limits, every=True)
    if len(documents) > 1:
        raise LoadError(shown, None, "more than one YAML document; a settings file holds one")
    value = documents[0] if documents else None
    measure(value, limits, shown, 1)
    return value


def load_json(text: str, path: str, line: int | None = None, limits: Limits = DEFAULT_LIMITS) -> Any:
    """One JSON value from text; raises LoadError (with the line inside the text where JSON says)."""
    try:
        value = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except json.JSONDecodeError as err:
        where = (line or 1) + err.lineno - 1
        raise LoadError(path, where, f"not valid JSON: {err.msg} (column {err.colno})") from None
    except RecursionError:
        raise LoadError(path, line, f"nested deeper than {limits.max_depth} levels") from None
    except ValueError as err:  # a duplicate key, NaN, an integer of more digits than Python converts
        raise LoadError(path, line, f"not valid JSON: {err}") from None
    measure(value, limits, path, line)
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refusing a repeated key as the YAML loader does: readers would disagree on it."""
    value = dict(pairs)
    if len(value) != len(pairs):
        seen: set[str] = set()
        repeated = next(k for k, _ in pairs if k in seen or seen.add(k))
        raise ValueError(f"duplicate key {repeated!r}")
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
