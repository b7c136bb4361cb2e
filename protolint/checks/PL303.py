"""A Data layer whose backend is not the kind of database its source is."""

from protolint.data.usage import used_reports
from protolint.data.wording import also_read_by, declared_backend, layer_text
from protolint.findings import Report, Severity

CODE = "PL303"
NAME = "data-backend-mismatch"
SEVERITY = Severity.ERROR
TARGET = "net"
NEEDS_DATA = True
SUMMARY = ("Data layer backend (LEVELDB unless written) differs from the database on disk: "
           "Caffe opens it with the wrong library and aborts")

# declared backend -> how its open fails on the other kind of directory
FAILURE = {
    "LEVELDB": ("leveldb::DB::Open finds no CURRENT file there and, as Caffe opens sources "
                "with create_if_missing false, refuses it: LevelDB::Open's check fails "
                "(\"Failed to open leveldb ... does not exist (create_if_missing is false)\") "
                "and Caffe aborts"),
    "LMDB": ("mdb_env_open finds no data.mdb there (read-only, it cannot create one) and "
             "fails with \"No such file or directory\": LMDB::Open's MDB_CHECK aborts"),
}
MARKER = {"lmdb": "an LMDB (it holds data.mdb)", "leveldb": "a LevelDB (it holds CURRENT)"}


def check(net):
    for report in used_reports(net):
        source = report.source
        if not source.backend_mismatch:
            continue
        first = report.uses[0]
        data = first.layer.param.data_param
        declared, how, field = declared_backend(data)
        right = source.found.upper()
        yield Report(
            first.layer.location(field),
            f"{layer_text(first)} declares {how}, but \"{report.name}\" is "
            f"{MARKER[source.found]}: DataLayer opens it with {declared} (db::GetDB), and "
            f"{FAILURE.get(declared, 'the open fails')}",
            f"write `backend: {right}` in data_param",
            related=also_read_by(report.uses[1:],
                                 lambda u: u.layer.location("data_param.backend")),
        )
