"""A Data layer whose backend is not the database its source is named after."""

from protolint.data.usage import used_reports
from protolint.data.wording import declared_backend
from protolint.findings import Report, Severity

CODE = "PL240"
NAME = "backend-contradicts-source-name"
SEVERITY = Severity.WARNING
TARGET = "net"
SUMMARY = ("Data layer source named like an LMDB read with the LEVELDB backend (Caffe's "
           "default when none is written), or named like a LevelDB declared LMDB")

_KINDS = {"lmdb": "LMDB", "leveldb": "LEVELDB"}
_A = {"LMDB": "an LMDB", "LEVELDB": "a LevelDB"}


def _named_kind(source: str) -> str | None:
    """The backend a source's name states: it mentions one kind of database only."""
    name = source.lower()
    said = [backend for marker, backend in _KINDS.items() if marker in name]
    return said[0] if len(said) == 1 else None


def _inspected(net) -> set[int]:
    """Layers whose database --data found on disk: PL303 judges them from what it is."""
    return {use.layer.index for report in used_reports(net)
            if report.source.found in _KINDS for use in report.uses}


def check(net):
    inspected = _inspected(net)
    for layer in net.layers:
        if layer.type != "Data" or layer.problems or layer.index in inspected:
            continue
        data = layer.param.data_param
        named = _named_kind(data.source)
        declared, how, field = declared_backend(data)
        if named is None or named == declared:
            continue
        yield Report(
            layer.location(field),
            f"Data '{layer.name}' reads \"{data.source}\", named like {_A[named]}, with "
            f"{how}: DataLayer opens the source with the backend declared (db::GetDB), "
            "and opening a database of the other kind fails and aborts before the first "
            "iteration",
            f"write `backend: {named}` in data_param if the source is {_A[named]} "
            "(`protolint lint --data` checks what is on disk)",
        )

