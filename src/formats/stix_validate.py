#!/usr/bin/env python3
"""Validates STIX 2.1 bundles against the official OASIS JSON schemas.

usage: stix_validate.py SCHEMAS_DIR BUNDLE.json...

SCHEMAS_DIR is the `schemas` folder of oasis-open/cti-stix2-json-schemas (the copy in
shared/testdata/stix). Every schema is loaded into a local store keyed by its $id, so no
$ref is fetched from the network. Exit 0 if all bundles are valid, 1 otherwise (each error
printed with its JSON path), 2 on usage errors.
"""
import json
import pathlib
import sys

import warnings

import jsonschema

try:  # jsonschema >= 4.18 resolves $refs through `referencing`
    import referencing
    import referencing.jsonschema
except ImportError:  # Debian 12's jsonschema 4.10
    referencing = None


def make_validator(schema, store):
    if referencing is not None:
        registry = referencing.Registry().with_resources(
            (uri, referencing.jsonschema.DRAFT202012.create_resource(s)) for uri, s in store.items())
        return jsonschema.Draft202012Validator(schema, registry=registry)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        resolver = jsonschema.RefResolver(base_uri=schema["$id"], referrer=schema, store=store)
    return jsonschema.Draft202012Validator(schema, resolver=resolver)


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    root = pathlib.Path(argv[1])
    store = {}
    for path in root.rglob("*.json"):
        schema = json.loads(path.read_text())
        if "$id" in schema:
            store[schema["$id"]] = schema
    bundle_schema = json.loads((root / "common" / "bundle.json").read_text())
    validator = make_validator(bundle_schema, store)
    bad = 0
    for name in argv[2:]:
        doc = json.loads(pathlib.Path(name).read_text())
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
        for e in errors[:20]:
            where = "/".join(str(p) for p in e.absolute_path)
            print(f"{name}: {where}: {e.message[:300]}", file=sys.stderr)
        if errors:
            bad += 1
        # anyOf/oneOf failures hide which branch failed: check each indicator and observable
        # against its own schema too, which also catches a wrong type enum.
        for i, obj in enumerate(doc.get("objects", [])):
            kind = obj.get("type")
            sub = {"indicator": "sdos/indicator.json", "identity": "sdos/identity.json",
                   "file": "observables/file.json", "url": "observables/url.json",
                   "marking-definition": "common/marking-definition.json"}.get(kind)
            if not sub:
                continue
            schema = json.loads((root / sub).read_text())
            v = make_validator(schema, store)
            for e in v.iter_errors(obj):
                print(f"{name}: objects/{i} ({kind}): {e.message[:300]}", file=sys.stderr)
                bad += 1
                break
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
