#!/usr/bin/env python3
"""A validator for the subset of JSON Schema (2020-12) that docs/schema/*.json
use: type (one or a list), const, enum, minimum, properties, required,
additionalProperties (false or a schema), items, $ref to "#/$defs/NAME",
$defs, and the annotations title, description, $schema, $id. A schema that
uses any other keyword is refused, so the subset cannot silently grow.

    json_schema_check.py SCHEMA.json DOC.json   exit 0 valid, 1 invalid (errors listed), 2 bad use
"""
import json
import sys

KNOWN = {"type", "const", "enum", "minimum", "properties", "required", "additionalProperties", "items", "$ref",
         "$defs", "title", "description", "$schema", "$id"}
TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}


class SchemaError(Exception):
    pass


def check_schema(s, where="#"):
    """Refuses keywords outside the subset (recursively)."""
    if not isinstance(s, dict):
        raise SchemaError(f"{where}: a schema must be an object")
    for k, v in s.items():
        if k not in KNOWN:
            raise SchemaError(f"{where}: keyword '{k}' is not in the subset this validator knows")
        if k in ("properties", "$defs"):
            for name, sub in v.items():
                check_schema(sub, f"{where}/{k}/{name}")
        elif k in ("items",) or (k == "additionalProperties" and isinstance(v, dict)):
            check_schema(v, f"{where}/{k}")


def is_type(x, t):
    if t == "integer":
        return isinstance(x, int) and not isinstance(x, bool)
    if t == "number":
        return isinstance(x, (int, float)) and not isinstance(x, bool)
    return isinstance(x, TYPES[t])


def validate(doc, s, root, path="$", errors=None):
    if errors is None:
        errors = []
    if "$ref" in s:
        ref = s["$ref"]
        if not ref.startswith("#/$defs/"):
            raise SchemaError(f"unsupported $ref {ref}")
        validate(doc, root["$defs"][ref[len("#/$defs/"):]], root, path, errors)
    if "type" in s:
        ts = s["type"] if isinstance(s["type"], list) else [s["type"]]
        if not any(is_type(doc, t) for t in ts):
            errors.append(f"{path}: {json.dumps(doc)[:60]} is not of type {'/'.join(ts)}")
            return errors
    if "const" in s and doc != s["const"]:
        errors.append(f"{path}: {json.dumps(doc)[:60]} is not {json.dumps(s['const'])}")
    if "enum" in s and doc not in s["enum"]:
        errors.append(f"{path}: {json.dumps(doc)[:60]} is not one of {s['enum']}")
    if "minimum" in s and is_type(doc, "number") and doc < s["minimum"]:
        errors.append(f"{path}: {doc} is below the minimum {s['minimum']}")
    if isinstance(doc, dict):
        for k in s.get("required", []):
            if k not in doc:
                errors.append(f"{path}: the key '{k}' is missing")
        props = s.get("properties", {})
        for k, v in doc.items():
            if k in props:
                validate(v, props[k], root, f"{path}.{k}", errors)
            elif "additionalProperties" in s:
                ap = s["additionalProperties"]
                if ap is False:
                    errors.append(f"{path}: the key '{k}' is not allowed")
                elif isinstance(ap, dict):
                    validate(v, ap, root, f"{path}.{k}", errors)
    if isinstance(doc, list) and "items" in s:
        for i, v in enumerate(doc):
            validate(v, s["items"], root, f"{path}[{i}]", errors)
    return errors


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1]) as f:
        schema = json.load(f)
    check_schema(schema)
    with open(argv[2]) as f:
        doc = json.load(f)
    errors = validate(doc, schema, schema)
    for e in errors[:50]:
        print(e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
