"""A thin REST bridge in front of Qdrant's own engine (qdrant-edge-py), for tests only.

No Qdrant server can run on the project's machines, but Qdrant's Rust engine can, in process, through the
`qdrant-edge-py` package. This bridge answers the part of Qdrant's REST API that the product's adapter and the
real `@qdrant/js-client-rest` use, translating each JSON body into the engine's own request objects, so the
filtering, scoring (cosine, sparse vectors with the IDF modifier, fusion), payload indexes, faceting and
paging under test are Qdrant's, not ours.

One engine shard per collection, in a temporary directory. What it cannot show (a real server's behaviour):
distributed mode (shards, replicas, consensus), snapshots, API keys and TLS, optimizer and indexing timing
(`wait=false` is answered as if `wait=true`), the on-disk layout of `is_tenant` indexes beyond accepting them,
and any route not listed in ROUTES (answered 404 with the route named).

    python bridge.py --port 6333 [--data DIR]
"""
import argparse
import json
import os
import re
import shutil
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import numpy as np
import qdrant_edge as q


class ApiError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


def engine_version():
    """The Qdrant version the engine was built from (its `api` crate), read from the wheel's bill of materials."""
    import importlib.metadata as md

    try:
        dist = md.distribution("qdrant-edge-py")
        for f in dist.files or []:
            if str(f).endswith(".cyclonedx.json"):
                sbom = json.loads(f.read_text())
                for c in sbom.get("components", []):
                    if c.get("name") == "api":
                        return c.get("version", "unknown").replace("-dev", "")
        return "unknown"
    except Exception:  # noqa: BLE001 - the version is informative only
        return "unknown"


# ---------------------------------------------------------------------------------------------------------
# JSON -> engine objects
# ---------------------------------------------------------------------------------------------------------

DISTANCES = {"Cosine": q.Distance.Cosine, "Euclid": q.Distance.Euclid, "Dot": q.Distance.Dot, "Manhattan": q.Distance.Manhattan}


def point_id(v):
    if isinstance(v, bool):
        raise ApiError(400, "point id must be an unsigned integer or a UUID")
    if isinstance(v, int):
        if v < 0:
            raise ApiError(400, "point id must be an unsigned integer or a UUID")
        return v
    if isinstance(v, str):
        try:
            return uuid.UUID(v)
        except ValueError:
            raise ApiError(400, f"Unable to parse UUID: {v}")
    raise ApiError(400, f"bad point id: {v!r}")


def id_json(v):
    return str(v) if isinstance(v, uuid.UUID) else v


def quantization(cfg):
    if not cfg:
        return None
    if "binary" in cfg:
        return q.BinaryQuantizationConfig(always_ram=cfg["binary"].get("always_ram"))
    if "scalar" in cfg:
        s = cfg["scalar"]
        if s.get("type", "int8") != "int8":
            raise ApiError(400, "scalar quantization type must be int8")
        return q.ScalarQuantizationConfig(type=q.ScalarType.Int8, quantile=s.get("quantile"), always_ram=s.get("always_ram"))
    raise ApiError(400, f"unsupported quantization_config: {sorted(cfg)}")


def vector_params(v):
    if "size" not in v or "distance" not in v:
        raise ApiError(400, "vector params need size and distance")
    if v["distance"] not in DISTANCES:
        raise ApiError(400, f"unknown distance {v['distance']!r}")
    return q.EdgeVectorParams(size=int(v["size"]), distance=DISTANCES[v["distance"]], quantization_config=quantization(v.get("quantization_config")))


def edge_config(body):
    vectors = body.get("vectors")
    if vectors is None and not body.get("sparse_vectors"):
        raise ApiError(400, "a collection needs vectors or sparse_vectors")
    if isinstance(vectors, dict) and "size" in vectors:
        dense = vector_params(vectors)
    else:
        dense = {name: vector_params(v) for name, v in (vectors or {}).items()}
    sparse = {}
    for name, s in (body.get("sparse_vectors") or {}).items():
        modifier = (s or {}).get("modifier")
        if modifier not in (None, "none", "idf"):
            raise ApiError(400, f"unknown sparse modifier {modifier!r}")
        sparse[name] = q.EdgeSparseVectorParams(modifier=q.Modifier.Idf if modifier == "idf" else None)
    return q.EdgeConfig(vectors=dense, sparse_vectors=sparse or None, quantization_config=quantization(body.get("quantization_config")))


SCHEMA_TYPES = {
    "keyword": q.PayloadSchemaType.Keyword,
    "integer": q.PayloadSchemaType.Integer,
    "float": q.PayloadSchemaType.Float,
    "geo": q.PayloadSchemaType.Geo,
    "text": q.PayloadSchemaType.Text,
    "bool": q.PayloadSchemaType.Bool,
    "datetime": q.PayloadSchemaType.Datetime,
    "uuid": q.PayloadSchemaType.Uuid,
}


def field_schema(s):
    if isinstance(s, str):
        if s not in SCHEMA_TYPES:
            raise ApiError(400, f"unknown field_schema {s!r}")
        return SCHEMA_TYPES[s]
    if not isinstance(s, dict) or "type" not in s:
        raise ApiError(400, "field_schema must be a type name or an object with a type")
    t, opts = s["type"], {k: v for k, v in s.items() if k != "type"}
    params = {
        "keyword": q.KeywordIndexParams,
        "integer": q.IntegerIndexParams,
        "float": q.FloatIndexParams,
        "bool": q.BoolIndexParams,
        "datetime": q.DatetimeIndexParams,
        "uuid": q.UuidIndexParams,
    }.get(t)
    if params is None:
        raise ApiError(400, f"unsupported index params type {t!r}")
    try:
        return params(**opts)
    except TypeError as e:
        raise ApiError(400, f"bad {t} index params: {e}")


def match(m):
    if "value" in m:
        v = m["value"]
        # qdrant-edge-py 0.9.0 reads a Python bool as an integer (bool subclasses int), so `false` would match
        # nothing; numpy's bool is not an int and reaches the engine as a boolean.
        return q.MatchValue(np.bool_(v) if isinstance(v, bool) else v)
    if "any" in m:
        return q.MatchAny(m["any"])
    if "except" in m:
        return q.MatchExcept(m["except"])
    if "text" in m:
        return q.MatchText(m["text"])
    if "phrase" in m:
        return q.MatchPhrase(m["phrase"])
    raise ApiError(400, f"unsupported match: {sorted(m)}")


def range_cond(r):
    bounds = {k: r.get(k) for k in ("gt", "gte", "lt", "lte") if r.get(k) is not None}
    if any(isinstance(v, str) for v in bounds.values()):
        return q.RangeDateTime(**bounds)
    return q.RangeFloat(**{k: float(v) for k, v in bounds.items()})


def condition(c):
    if not isinstance(c, dict):
        raise ApiError(400, "a condition must be an object")
    if "has_id" in c:
        return q.HasIdCondition({point_id(i) for i in c["has_id"]})
    if "is_empty" in c:
        return q.IsEmptyCondition(c["is_empty"]["key"])
    if "is_null" in c:
        return q.IsNullCondition(c["is_null"]["key"])
    if "nested" in c:
        return q.NestedCondition(c["nested"]["key"], filter_(c["nested"]["filter"]))
    if any(k in c for k in ("must", "should", "must_not", "min_should")):
        return filter_(c)
    if "key" in c:
        kw = {}
        if c.get("match") is not None:
            kw["match"] = match(c["match"])
        if c.get("range") is not None:
            kw["range"] = range_cond(c["range"])
        if c.get("values_count") is not None:
            kw["values_count"] = q.ValuesCount(**c["values_count"])
        if c.get("is_empty") is not None:
            kw["is_empty"] = c["is_empty"]
        if c.get("is_null") is not None:
            kw["is_null"] = c["is_null"]
        if not kw:
            raise ApiError(400, f"condition on {c['key']!r} has nothing to check")
        return q.FieldCondition(c["key"], **kw)
    raise ApiError(400, f"unsupported condition: {sorted(c)}")


def conditions(v):
    if v is None:
        return None
    return [condition(c) for c in (v if isinstance(v, list) else [v])]


def filter_(f):
    if f is None:
        return None
    ms = f.get("min_should")
    return q.Filter(
        must=conditions(f.get("must")),
        should=conditions(f.get("should")),
        must_not=conditions(f.get("must_not")),
        min_should=q.MinShould(conditions(ms["conditions"]), ms["min_count"]) if ms else None,
    )


def vector_value(v):
    if isinstance(v, dict) and "indices" in v:
        if len(v["indices"]) != len(v.get("values", [])):
            raise ApiError(400, "sparse vector: indices and values differ in length")
        return q.SparseVector(list(v["indices"]), [float(x) for x in v["values"]])
    if isinstance(v, list):
        return [float(x) for x in v]
    raise ApiError(400, "a vector must be a list of floats or a sparse {indices, values}")


def point_vector(v):
    if isinstance(v, dict) and "indices" not in v:
        return {name: vector_value(x) for name, x in v.items()}
    return vector_value(v)


def search_params(p):
    if not p:
        return None
    quant = p.get("quantization")
    return q.SearchParams(
        hnsw_ef=p.get("hnsw_ef"),
        exact=bool(p.get("exact", False)),
        quantization=q.QuantizationSearchParams(ignore=bool(quant.get("ignore", False)), rescore=quant.get("rescore"), oversampling=quant.get("oversampling")) if quant else None,
    )


def scoring_query(body):
    """`query` of a query request or prefetch: a vector, `{nearest}`, or `{fusion}` / `{rrf}` over prefetches."""
    qv, using = body.get("query"), body.get("using")
    if qv is None:
        return None
    if isinstance(qv, dict) and "fusion" in qv:
        if qv["fusion"] == "rrf":
            return q.Fusion.Rrf(k=2)
        if qv["fusion"] == "dbsf":
            return q.Fusion.Dbsf()
        raise ApiError(400, f"unknown fusion {qv['fusion']!r}")
    if isinstance(qv, dict) and "rrf" in qv:
        r = qv["rrf"] or {}
        return q.Fusion.Rrf(k=int(r.get("k", 2)), weights=r.get("weights"))
    if isinstance(qv, dict) and "nearest" in qv:
        qv = qv["nearest"]
    if isinstance(qv, (str, int)):
        raise ApiError(400, "querying by point id is not supported by the bridge")
    return q.Query.Nearest(vector_value(qv), using=using)


def prefetches(p):
    if p is None:
        return None
    items = p if isinstance(p, list) else [p]
    return [
        q.Prefetch(
            limit=int(x.get("limit", 10)),
            query=scoring_query(x),
            prefetches=prefetches(x.get("prefetch")),
            params=search_params(x.get("params")),
            filter=filter_(x.get("filter")),
            score_threshold=x.get("score_threshold"),
        )
        for x in items
    ]


def with_payload(v, default=True):
    if v is None:
        v = default
    if isinstance(v, bool):
        return v
    if isinstance(v, list):
        return v
    if isinstance(v, dict) and "include" in v:
        return q.PayloadSelector.Include(list(v["include"]))
    if isinstance(v, dict) and "exclude" in v:
        return q.PayloadSelector.Exclude(list(v["exclude"]))
    raise ApiError(400, "with_payload must be a bool, a list of keys, or {include}/{exclude}")


def vector_json(v):
    if v is None:
        return None
    if isinstance(v, dict):
        return {k: vector_json(x) for k, x in v.items()}
    if isinstance(v, q.SparseVector):
        return {"indices": list(v.indices), "values": list(v.values)}
    return list(v)


def record_json(r, scored=False):
    out = {"id": id_json(r.id), "payload": r.payload, "vector": vector_json(r.vector)}
    if scored:
        out.update(version=r.version, score=r.score)
    return out


# ---------------------------------------------------------------------------------------------------------
# Collections
# ---------------------------------------------------------------------------------------------------------


class Collections:
    def __init__(self, root):
        self.root = root
        self.items = {}  # name -> {"shard", "config", "indexes"}
        self.lock = threading.RLock()
        self.ops = 0

    def get(self, name):
        c = self.items.get(name)
        if c is None:
            raise ApiError(404, f"Not found: Collection `{name}` doesn't exist!")
        return c

    def create(self, name, body):
        if not re.fullmatch(r"[A-Za-z0-9_.-]{1,255}", name):
            raise ApiError(422, f"Validation error in path parameters: [name: bad collection name {name!r}]")
        if name in self.items:
            raise ApiError(409, f"Wrong input: Collection `{name}` already exists!")
        path = os.path.join(self.root, name)
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(path)
        shard = q.EdgeShard.create(path, edge_config(body))
        self.items[name] = {"shard": shard, "config": body, "indexes": {}}

    def delete(self, name):
        c = self.items.pop(name, None)
        if c is None:
            return False
        c["shard"].close()
        shutil.rmtree(os.path.join(self.root, name), ignore_errors=True)
        return True

    def next_op(self):
        self.ops += 1
        return {"operation_id": self.ops, "status": "completed"}


def collection_info(c):
    body = c["config"]
    shard = c["shard"]
    points = shard.count(q.CountRequest(exact=True))
    vectors = body.get("vectors")
    return {
        "status": "green",
        "optimizer_status": "ok",
        "indexed_vectors_count": 0,
        "points_count": points,
        "segments_count": 1,
        "config": {
            "params": {
                "vectors": vectors,
                **({"sparse_vectors": body["sparse_vectors"]} if body.get("sparse_vectors") else {}),
                "shard_number": 1,
                "replication_factor": 1,
                "write_consistency_factor": 1,
                "on_disk_payload": True,
            },
            "hnsw_config": {"m": 16, "ef_construct": 100, "full_scan_threshold": 10000, "max_indexing_threads": 0, "on_disk": False},
            "optimizer_config": {"deleted_threshold": 0.2, "vacuum_min_vector_number": 1000, "default_segment_number": 0, "flush_interval_sec": 5},
            "wal_config": {"wal_capacity_mb": 32, "wal_segments_ahead": 0},
            "quantization_config": body.get("quantization_config"),
        },
        "payload_schema": {
            k: {"data_type": v if isinstance(v, str) else v["type"], **({} if isinstance(v, str) else {"params": v}), "points": points}
            for k, v in c["indexes"].items()
        },
    }


# ---------------------------------------------------------------------------------------------------------
# Routes
# ---------------------------------------------------------------------------------------------------------


def r_root(state, _m, _b, _q):
    return {"title": "qdrant - vector search engine (qdrant-edge-py bridge for tests)", "version": state.version}


def r_list(state, _m, _b, _q):
    return {"collections": [{"name": n} for n in sorted(state.cols.items)]}


def r_exists(state, m, _b, _q):
    return {"exists": m["c"] in state.cols.items}


def r_get(state, m, _b, _q):
    return collection_info(state.cols.get(m["c"]))


def r_create(state, m, body, _q):
    state.cols.create(m["c"], body)
    return True


def r_delete(state, m, _b, _q):
    return state.cols.delete(m["c"])


def r_index(state, m, body, _q):
    c = state.cols.get(m["c"])
    schema = body.get("field_schema")
    if not body.get("field_name") or schema is None:
        raise ApiError(400, "field_name and field_schema are required")
    c["shard"].update(q.UpdateOperation.create_field_index(body["field_name"], field_schema(schema)))
    c["indexes"][body["field_name"]] = schema
    return state.cols.next_op()


def r_upsert(state, m, body, _q):
    c = state.cols.get(m["c"])
    if "batch" in body:
        raise ApiError(400, "the batch upsert form is not supported by the bridge; send points")
    points = [q.Point(point_id(p["id"]), point_vector(p.get("vector", {})), p.get("payload")) for p in body.get("points", [])]
    c["shard"].update(q.UpdateOperation.upsert_points(points))
    return state.cols.next_op()


def r_delete_points(state, m, body, _q):
    c = state.cols.get(m["c"])
    if body.get("filter") is not None:
        c["shard"].update(q.UpdateOperation.delete_points_by_filter(filter_(body["filter"])))
    elif body.get("points") is not None:
        c["shard"].update(q.UpdateOperation.delete_points([point_id(i) for i in body["points"]]))
    else:
        raise ApiError(400, "delete needs points or filter")
    return state.cols.next_op()


def r_retrieve(state, m, body, _q):
    c = state.cols.get(m["c"])
    records = c["shard"].retrieve([point_id(i) for i in body.get("ids", [])], with_payload(body.get("with_payload")), body.get("with_vector", False))
    return [record_json(r) for r in records]


def r_query(state, m, body, _q):
    c = state.cols.get(m["c"])
    limit = int(body.get("limit", 10))
    if limit < 1:
        raise ApiError(422, "Validation error in JSON body: [limit: value 0 invalid, must be 1 or larger]")
    req = q.QueryRequest(
        limit=limit,
        offset=body.get("offset"),
        query=scoring_query(body),
        prefetches=prefetches(body.get("prefetch")),
        with_vector=body.get("with_vector", False),
        with_payload=with_payload(body.get("with_payload"), default=False),
        filter=filter_(body.get("filter")),
        score_threshold=body.get("score_threshold"),
        params=search_params(body.get("params")),
    )
    return {"points": [record_json(p, scored=True) for p in c["shard"].query(req)]}


def r_scroll(state, m, body, _q):
    c = state.cols.get(m["c"])
    offset = body.get("offset")
    req = q.ScrollRequest(
        offset=point_id(offset) if offset is not None else None,
        limit=int(body.get("limit", 10)),
        filter=filter_(body.get("filter")),
        with_payload=with_payload(body.get("with_payload")),
        with_vector=body.get("with_vector", False),
    )
    records, nxt = c["shard"].scroll(req)
    return {"points": [record_json(r) for r in records], "next_page_offset": id_json(nxt) if nxt is not None else None}


def r_count(state, m, body, _q):
    c = state.cols.get(m["c"])
    return {"count": c["shard"].count(q.CountRequest(exact=bool(body.get("exact", True)), filter=filter_(body.get("filter"))))}


def r_facet(state, m, body, _q):
    c = state.cols.get(m["c"])
    if not body.get("key"):
        raise ApiError(400, "facet needs a key")
    if body["key"] not in c["indexes"]:
        raise ApiError(400, f"Bad request: Index required but not found for \"{body['key']}\" of one of the following types: [keyword, integer, bool]")
    res = c["shard"].facet(q.FacetRequest(key=body["key"], limit=int(body.get("limit", 10)), exact=bool(body.get("exact", False)), filter=filter_(body.get("filter"))))
    return {"hits": [{"value": h.value, "count": h.count} for h in res.hits]}


C = r"/collections/(?P<c>[^/]+)"
ROUTES = [
    ("GET", r"/", r_root),
    ("GET", r"/collections", r_list),
    ("GET", C + r"/exists", r_exists),
    ("GET", C, r_get),
    ("PUT", C, r_create),
    ("DELETE", C, r_delete),
    ("PUT", C + r"/index", r_index),
    ("PUT", C + r"/points", r_upsert),
    ("POST", C + r"/points/delete", r_delete_points),
    ("POST", C + r"/points", r_retrieve),
    ("POST", C + r"/points/query", r_query),
    ("POST", C + r"/points/scroll", r_scroll),
    ("POST", C + r"/points/count", r_count),
    ("POST", C + r"/facet", r_facet),
]
COMPILED = [(m, re.compile(p + r"$"), fn) for m, p, fn in ROUTES]


class State:
    def __init__(self, root):
        self.cols = Collections(root)
        self.version = engine_version()


class Handler(BaseHTTPRequestHandler):
    state = None
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def _send(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _handle(self, method):
        started = time.monotonic()
        url = urlparse(self.path)
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        try:
            try:
                body = json.loads(raw) if raw else {}
            except ValueError:
                raise ApiError(400, "Format error in JSON body")
            for m, pattern, fn in COMPILED:
                found = pattern.match(url.path)
                if m == method and found:
                    with self.state.cols.lock:
                        result = fn(self.state, found.groupdict(), body, parse_qs(url.query))
                    if fn is r_root:
                        self._send(200, result)
                    else:
                        self._send(200, {"result": result, "status": "ok", "time": time.monotonic() - started})
                    return
            raise ApiError(404, f"the bridge does not implement {method} {url.path}")
        except ApiError as e:
            self._send(e.status, {"status": {"error": e.message}, "time": time.monotonic() - started})
        except Exception as e:  # noqa: BLE001 - the engine's own refusals become 400s, as the server answers them
            self._send(400, {"status": {"error": f"Bad request: {e}"}, "time": time.monotonic() - started})

    def do_GET(self):
        self._handle("GET")

    def do_PUT(self):
        self._handle("PUT")

    def do_POST(self):
        self._handle("POST")

    def do_DELETE(self):
        self._handle("DELETE")

    def do_PATCH(self):
        self._handle("PATCH")


def main():
    ap = argparse.ArgumentParser(description="Qdrant REST bridge over qdrant-edge-py (tests only)")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=6333)
    ap.add_argument("--data", default=None, help="directory for the shards (default: a temporary one, removed at exit)")
    a = ap.parse_args()
    root = a.data or tempfile.mkdtemp(prefix="qdrant-bridge-")
    Handler.state = State(root)
    httpd = ThreadingHTTPServer((a.host, a.port), Handler)
    print(f"qdrant-edge bridge on http://{a.host}:{a.port} (engine {Handler.state.version}, data {root})", flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        for name in list(Handler.state.cols.items):
            Handler.state.cols.items[name]["shard"].close()
        if a.data is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
