#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Validate a JSON document against a JSON Schema.

usage: validate_json.py SCHEMA DOCUMENT

Uses the jsonschema package when it is importable (and MIGRACE_MINIMAL_VALIDATOR
is not set); otherwise a minimal validator that knows the keywords
report-schema.json uses. Exit 0 when valid, 1 when not (errors on stderr),
2 on bad input.
"""
import json
import os
import re
import sys
from typing import Any, Dict, List

TYPES = {
    "object": dict, "array": list, "string": str, "boolean": bool, "null": type(None),
}


def type_ok(value: Any, name: str) -> bool:
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, TYPES[name])


def resolve(root: Dict[str, Any], ref: str) -> Dict[str, Any]:
    if not ref.startswith("#/"):
        raise ValueError(f"unsupported $ref {ref}")
    node: Any = root
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def check_number(v: Any, s: Dict[str, Any], path: str, errs: List[str]) -> None:
    if not type_ok(v, "number"):
        return
    if "minimum" in s and v < s["minimum"]:
        errs.append(f"{path}: {v} < minimum {s['minimum']}")
    if "maximum" in s and v > s["maximum"]:
        errs.append(f"{path}: {v} > maximum {s['maximum']}")
    if "exclusiveMinimum" in s and v <= s["exclusiveMinimum"]:
        errs.append(f"{path}: {v} <= exclusiveMinimum {s['exclusiveMinimum']}")


def check_object(v: Any, s: Dict[str, Any], root: Dict[str, Any], path: str,
                 errs: List[str]) -> None:
    if not isinstance(v, dict):
        return
    for key in s.get("required", []):
        if key not in v:
            errs.append(f"{path}: missing {key}")
    props = s.get("properties", {})
    extra = s.get("additionalProperties", True)
    names = s.get("propertyNames", {})
    for key, item in v.items():
        if "pattern" in names and not re.search(names["pattern"], key):
            errs.append(f"{path}: property name {key!r} does not match {names['pattern']}")
        if key in props:
            validate(item, props[key], root, f"{path}.{key}", errs)
        elif extra is False:
            errs.append(f"{path}: unexpected property {key}")
        elif isinstance(extra, dict):
            validate(item, extra, root, f"{path}.{key}", errs)


def validate(v: Any, s: Dict[str, Any], root: Dict[str, Any], path: str,
             errs: List[str]) -> None:
    if "$ref" in s:
        validate(v, resolve(root, s["$ref"]), root, path, errs)
    if "type" in s:
        names = s["type"] if isinstance(s["type"], list) else [s["type"]]
        if not any(type_ok(v, n) for n in names):
            errs.append(f"{path}: {v!r} is not {s['type']}")
            return
    if "const" in s and v != s["const"]:
        errs.append(f"{path}: {v!r} != {s['const']!r}")
    if "enum" in s and v not in s["enum"]:
        errs.append(f"{path}: {v!r} not in {s['enum']}")
    if "oneOf" in s:
        matches = 0
        for sub in s["oneOf"]:
            sub_errs: List[str] = []
            validate(v, sub, root, path, sub_errs)
            matches += not sub_errs
        if matches != 1:
            errs.append(f"{path}: matches {matches} of oneOf")
    check_number(v, s, path, errs)
    check_object(v, s, root, path, errs)
    if isinstance(v, str) and "minLength" in s and len(v) < s["minLength"]:
        errs.append(f"{path}: shorter than {s['minLength']}")
    if isinstance(v, list):
        if "maxItems" in s and len(v) > s["maxItems"]:
            errs.append(f"{path}: more than {s['maxItems']} items")
        if "minItems" in s and len(v) < s["minItems"]:
            errs.append(f"{path}: fewer than {s['minItems']} items")
        for i, item in enumerate(v):
            if "items" in s:
                validate(item, s["items"], root, f"{path}[{i}]", errs)


def minimal(schema: Dict[str, Any], doc: Any) -> List[str]:
    errs: List[str] = []
    validate(doc, schema, schema, "$", errs)
    return errs


def with_jsonschema(schema: Dict[str, Any], doc: Any) -> List[str]:
    import jsonschema  # type: ignore
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return [f"{'.'.join(map(str, e.path))}: {e.message}" for e in cls(schema).iter_errors(doc)]


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        with open(sys.argv[1]) as f:
            schema = json.load(f)
        with open(sys.argv[2]) as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        print(f"validate_json: {e}", file=sys.stderr)
        return 1
    use_lib = not os.environ.get("MIGRACE_MINIMAL_VALIDATOR")
    try:
        errs = with_jsonschema(schema, doc) if use_lib else minimal(schema, doc)
        which = "jsonschema" if use_lib else "minimal"
    except ImportError:
        errs, which = minimal(schema, doc), "minimal"
    for e in errs:
        print(f"validate_json: {e}", file=sys.stderr)
    print(f"validate_json: {which}: {'valid' if not errs else f'{len(errs)} error(s)'}")
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
