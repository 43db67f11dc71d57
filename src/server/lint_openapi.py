#!/usr/bin/env python3
"""Structural lint of docs/openapi.yaml (run by ctest as openapi_lint).

Checks what a reader and a client generator rely on: OpenAPI 3.1, every operation has a
unique operationId, a summary and responses; every /api/v1 operation names its permission
(x-vigil-permission, one of the server's) and is not public; every {placeholder} in a path
is declared as a path parameter; every $ref resolves; error responses use the one Error shape.
"""
import re
import sys

import yaml

PERMISSIONS = {"self", "hash", "match", "bank.read", "bank.write", "item.submit", "item.read",
               "review", "review.escalated", "audit.read", "user.admin", "referral.read",
               "referral.write", "referral.platform", "hold", "referral.reverse"}
METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


def main(path):
    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    errors = []

    def err(msg):
        errors.append(msg)

    def resolve(node):
        if isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if not ref.startswith("#/"):
                err(f"external $ref not allowed: {ref}")
                return {}
            cur = doc
            for part in ref[2:].split("/"):
                if not isinstance(cur, dict) or part not in cur:
                    err(f"unresolved $ref {ref}")
                    return {}
                cur = cur[part]
            return cur
        return node

    def walk_refs(node):
        if isinstance(node, dict):
            if "$ref" in node:
                resolve(node)
            for v in node.values():
                walk_refs(v)
        elif isinstance(node, list):
            for v in node:
                walk_refs(v)

    if not str(doc.get("openapi", "")).startswith("3.1"):
        err("openapi must be 3.1.x")
    info = doc.get("info") or {}
    for key in ("title", "version"):
        if not info.get(key):
            err(f"info.{key} missing")
    if "bearer" not in (doc.get("components", {}).get("securitySchemes") or {}):
        err("components.securitySchemes.bearer missing")
    if "Error" not in (doc.get("components", {}).get("schemas") or {}):
        err("components.schemas.Error missing")
    walk_refs(doc)

    op_ids = set()
    paths = doc.get("paths") or {}
    if not paths:
        err("no paths")
    for p, item in paths.items():
        if not p.startswith("/"):
            err(f"path {p} must start with /")
        placeholders = set(re.findall(r"{([^}]+)}", p))
        for method, op in item.items():
            if method not in METHODS:
                err(f"{p}: unknown key {method}")
                continue
            where = f"{method.upper()} {p}"
            if not op.get("operationId"):
                err(f"{where}: operationId missing")
            elif op["operationId"] in op_ids:
                err(f"{where}: duplicate operationId {op['operationId']}")
            else:
                op_ids.add(op["operationId"])
            if not op.get("summary"):
                err(f"{where}: summary missing")
            responses = op.get("responses") or {}
            if not responses:
                err(f"{where}: no responses")
            if not any(str(code).startswith("2") for code in responses):
                err(f"{where}: no 2xx response")
            declared = {resolve(prm).get("name") for prm in op.get("parameters", [])
                        if resolve(prm).get("in") == "path"}
            if declared != placeholders:
                err(f"{where}: path parameters {sorted(declared)} != {sorted(placeholders)}")
            if p.startswith("/api/"):
                perm = op.get("x-vigil-permission")
                if perm not in PERMISSIONS:
                    err(f"{where}: x-vigil-permission {perm!r} is not a server permission")
                if op.get("security") == []:
                    err(f"{where}: API operations need the bearer token")
                default = resolve(responses.get("default", {}))
                schema = resolve(((default.get("content") or {}).get("application/json") or {})
                                 .get("schema", {}))
                if schema is not doc["components"]["schemas"].get("Error"):
                    err(f"{where}: default response must be the Error shape")
            if op.get("requestBody") is not None and not resolve(op["requestBody"]).get("content"):
                err(f"{where}: requestBody without content")
    for e in errors:
        print(f"openapi lint: {path}: {e}", file=sys.stderr)
    if errors:
        return 1
    print(f"openapi lint: {path}: ok ({len(op_ids)} operations)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "docs/openapi.yaml"))
