#!/usr/bin/env python3
"""Check Vouch's credential type contracts in specs/ against each other.

For each credential type: the JSON Schema is valid 2020-12; the type metadata follows
draft-ietf-oauth-sd-jwt-vc (-19, section 5) and every claims[].path resolves to a property
the schema defines; every schema property has an explicit sd rule; mandatory agrees with
required; the example validates and known-bad variants do not; a partial presentation
validates against the presentation form of the schema.

Usage: python3 specs/check.py   (needs jsonschema: pip install jsonschema)
Exit status 0 when every check passed, 1 otherwise.
"""

from __future__ import annotations

import base64
import copy
import datetime
import json
import sys
from pathlib import Path

try:
    from jsonschema import Draft202012Validator
except ImportError:
    print("specs/check.py needs the jsonschema package: pip install jsonschema", file=sys.stderr)
    sys.exit(2)

SPECS = Path(__file__).resolve().parent
TYPES = {
    "pid": "urn:vouch:uk:pid:1",
    "right-to-work": "urn:vouch:uk:right-to-work:1",
    "right-to-work-v2": "urn:vouch:uk:right-to-work:2",
}
# OpenID Identity Assurance Schema Definition 1.0 members of right-to-work version 2.
V2_VERIFICATION = ["verified_claims", "verification"]
V2_DOCUMENT = V2_VERIFICATION + ["evidence", 0, "document_details"]
V2_PERSON = ["verified_claims", "claims"]
# GPG 45 identity profiles by level (trust_framework/src/gpg45.rs), for the v2 example.
GPG45_PROFILES = {
    "medium": {"M1A", "M1B", "M1C", "M1D", "M2A", "M2B", "M2C", "M3A"},
    "high": {"H1A", "H1B", "H1C", "H2A", "H2B", "H2C", "H2D", "H2E", "H3A"},
}
LOCALE = "en-GB"

# JWT claims the issuer adds; schemas allow them, examples leave them out.
REGISTERED = {"iss", "sub", "iat", "nbf", "exp", "vct", "vct#integrity", "aka_vcts", "cnf", "status"}
# Draft -19 section 2.2.2.3 forbids Disclosures for these; iat is Vouch policy (the draft allows it).
NEVER_SD = {"iss", "nbf", "exp", "cnf", "vct", "vct#integrity", "aka_vcts", "status", "iat"}
# Definitions that must stay identical in every type's schema.
SHARED_DEFS = ["text", "full_date", "alpha2", "iss", "sub", "numeric_date", "integrity", "aka_vcts",
               "cnf", "status"]

# What the issuer adds at issuance, for the "as issued" and presentation checks.
ISSUER_CLAIMS = {
    "iss": "https://issuer.vouch.test",
    "iat": 1795651200,
    "exp": 1827187200,
    "cnf": {"jwk": {"kty": "EC", "crv": "P-256",
                    "x": "TCAER19Zvu3OHF4j4W4vfSVoHIP1ILilDls7vCeGemc",
                    "y": "ZxjiWWbZMQGHVWKVQ4hbSIirsVfuecCE6t4jT9F2HZQ"}},
    "status": {"status_list": {"idx": 412, "uri": "https://issuer.vouch.test/status/1"}},
}

_INTEGRITY = {"type": "string", "pattern": r"^sha(256|384|512)-[A-Za-z0-9+/]+={0,2}( sha(256|384|512)-[A-Za-z0-9+/]+={0,2})*$"}
_LOCALE = {"type": "string", "pattern": r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$"}
_RESOURCE = {
    "type": "object",
    "required": ["uri"],
    "properties": {"uri": {"type": "string", "pattern": "^(https://|data:)"},
                   "uri#integrity": _INTEGRITY, "alt_text": {"type": "string"}},
}
_COLOUR = {"type": "string", "pattern": "^#([0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})$"}
# SD-JWT VC Type Metadata as defined in draft-ietf-oauth-sd-jwt-vc-19 sections 5.2, 5.5, 5.6 and 6.
TYPE_METADATA_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["vct"],
    "properties": {
        "vct": {"type": "string", "minLength": 1},
        "name": {"type": "string"},
        "description": {"type": "string"},
        "extends": {"type": "string", "minLength": 1},
        "extends#integrity": _INTEGRITY,
        "display": {"type": "array", "items": {
            "type": "object",
            "required": ["locale", "name"],
            "properties": {
                "locale": _LOCALE,
                "name": {"type": "string", "minLength": 1},
                "description": {"type": "string"},
                "rendering": {"type": "object", "properties": {
                    "simple": {"type": "object", "properties": {
                        "logo": _RESOURCE, "background_image": _RESOURCE,
                        "background_color": _COLOUR, "text_color": _COLOUR}},
                    "svg_templates": {"type": "array", "minItems": 1, "items": {
                        "type": "object", "required": ["uri"],
                        "properties": {"uri": _RESOURCE["properties"]["uri"], "uri#integrity": _INTEGRITY,
                                       "properties": {"type": "object", "minProperties": 1}}}},
                }},
            },
        }},
        "claims": {"type": "array", "items": {
            "type": "object",
            "required": ["path"],
            "properties": {
                "path": {"type": "array", "minItems": 1, "items": {
                    "anyOf": [{"type": "string"}, {"type": "null"}, {"type": "integer", "minimum": 0}]}},
                "display": {"type": "array", "items": {
                    "type": "object",
                    "required": ["locale", "label"],
                    "properties": {"locale": _LOCALE, "label": {"type": "string", "minLength": 1},
                                   "description": {"type": "string"}}}},
                "mandatory": {"type": "boolean"},
                "sd": {"enum": ["always", "allowed", "never"]},
                "svg_id": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"},
            },
        }},
    },
    # Removed from the draft in -12; a consumer built on an older draft could still act on them.
    "not": {"anyOf": [{"required": ["schema"]}, {"required": ["schema_uri"]},
                      {"required": ["schema_uri#integrity"]}]},
}


def load(rel: str):
    with open(SPECS / rel, encoding="utf-8") as f:
        return json.load(f)


def validator(schema) -> Draft202012Validator:
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def errors(schema, instance) -> list[str]:
    out = []
    for e in validator(schema).iter_errors(instance):
        message = e.message if len(e.message) <= 200 else e.message[:120] + " ... " + e.message[-60:]
        out.append(f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {message}")
    return out


def deref(root, node):
    """Follow local '#/...' $refs until a node without one."""
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), f"only local $ref supported, got {ref}"
        node = root
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def schema_node(schema, path):
    """The schema that a Type Metadata claim path selects, or AssertionError."""
    node = deref(schema, schema)
    for i, comp in enumerate(path):
        where = path[: i + 1]
        if isinstance(comp, str):
            props = node.get("properties", {})
            assert comp in props, f"path {where} is not a property the schema defines"
            node = deref(schema, props[comp])
        else:
            assert node.get("type") == "array" and isinstance(node.get("items"), dict), \
                f"path {where} selects array elements but the schema has no array there"
            node = deref(schema, node["items"])
    return node


def claim_paths(schema):
    """Every path a claim can sit at: object properties and array elements (None)."""
    def walk(node, path):
        node = deref(schema, node)
        if node.get("type") == "object":
            for key, sub in node.get("properties", {}).items():
                yield path + [key]
                if not (not path and key in REGISTERED):
                    yield from walk(sub, path + [key])
        elif node.get("type") == "array" and isinstance(node.get("items"), dict):
            yield path + [None]
            yield from walk(node["items"], path + [None])
    yield from walk(schema, [])


def required_sets(schema):
    """(object path, required keys, property keys) for every object a subject claim holds."""
    def walk(node, path):
        node = deref(schema, node)
        if node.get("type") == "object" and "properties" in node:
            keys = [k for k in node["properties"] if path or k not in REGISTERED]
            yield path, set(node.get("required", [])), keys
            for k in keys:
                yield from walk(node["properties"][k], path + [k])
        elif node.get("type") == "array" and isinstance(node.get("items"), dict):
            yield from walk(node["items"], path + [None])
    yield from walk(schema, [])


def presentation_schema(schema, metadata):
    """The schema a verifier applies to a presentation: a selectively disclosable claim may be
    withheld, so it leaves 'required', and an array whose elements are disclosable loses
    'minItems'. Types, formats and additionalProperties stay as strict as at issuance."""
    sd = {tuple(c["path"]): c.get("sd", "allowed") for c in metadata["claims"]}
    out = copy.deepcopy(schema)

    def visit(node, path):
        if "$ref" in node:
            target = copy.deepcopy(deref(out, node))
            node.clear()
            node.update(target)
        if "required" in node:
            node["required"] = [k for k in node["required"] if sd.get(tuple(path + [k]), "allowed") == "never"]
            if not node["required"]:
                del node["required"]
        if node.get("type") == "array" and "minItems" in node and sd.get(tuple(path + [None]), "allowed") != "never":
            del node["minItems"]
        for key, sub in node.get("properties", {}).items():
            if path or key not in REGISTERED:
                visit(sub, path + [key])
        if isinstance(node.get("items"), dict):
            visit(node["items"], path + [None])

    visit(out, [])
    return out


def jpeg_dimensions(data: bytes) -> tuple[int, int]:
    """Walk the JPEG marker segments up to the frame header; AssertionError if malformed."""
    assert data[:2] == b"\xff\xd8", "does not start with the JPEG SOI marker"
    assert data[-2:] == b"\xff\xd9", "does not end with the JPEG EOI marker"
    i = 2
    while i + 4 <= len(data):
        assert data[i] == 0xFF, f"expected a marker at byte {i}"
        marker = data[i + 1]
        length = int.from_bytes(data[i + 2:i + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height = int.from_bytes(data[i + 5:i + 7], "big")
            width = int.from_bytes(data[i + 7:i + 9], "big")
            assert width > 0 and height > 0, "frame header has a zero dimension"
            return width, height
        assert marker != 0xDA, "scan data before any frame header"
        i += 2 + length
    raise AssertionError("no frame header (SOFn) found")


def age_on(birth: datetime.date, day: datetime.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def with_changes(example, **changes):
    """A deep copy of example with top-level keys replaced (value None deletes the key)."""
    out = copy.deepcopy(example)
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def nested(example, key, **changes):
    return with_changes(example, **{key: with_changes(example[key], **changes)})


def at(example, path, value):
    """A deep copy of example with the member at path (keys and array indices) replaced
    (value None deletes it)."""
    out = copy.deepcopy(example)
    node = out
    for part in path[:-1]:
        node = node[part]
    if value is None:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return out


def get(example, path):
    for part in path:
        example = example[part]
    return example


def bad_variants(name, ex):
    """Variants each schema must reject: (why, instance)."""
    if name == "right-to-work-v2":
        return bad_variants_v2(ex)
    common = [
        ("unknown claim", with_changes(ex, email="ada@example.test")),
        ("missing family_name", with_changes(ex, family_name=None)),
        ("impossible birthdate", with_changes(ex, birthdate="1990-02-30")),
        ("birthdate not a full-date", with_changes(ex, birthdate="10/12/1990")),
        ("given_name with leading space", with_changes(ex, given_name=" Ada")),
        ("given_name with a control character", with_changes(ex, given_name="Ada\nLovelace")),
        ("vct of another type", with_changes(ex, vct="urn:vouch:uk:other:1")),
        ("cnf carrying a private key", with_changes(ex, cnf={"jwk": dict(ISSUER_CLAIMS["cnf"]["jwk"], d="AAAA")})),
        ("cnf by remote reference", with_changes(ex, cnf={"jku": "https://issuer.vouch.test/jwks"})),
    ]
    if name == "pid":
        return common + [
            ("lower-case nationality", with_changes(ex, nationalities=["gb"])),
            ("alpha-3 nationality", with_changes(ex, nationalities=["GBR"])),
            ("empty nationalities", with_changes(ex, nationalities=[])),
            ("repeated nationality", with_changes(ex, nationalities=["GB", "GB"])),
            ("address with unknown field", nested(ex, "address", region="Greater London")),
            ("address without postal_code", nested(ex, "address", postal_code=None)),
            ("age_equal_or_over not boolean", nested(ex, "age_equal_or_over", **{"18": "yes"})),
            ("age_equal_or_over without 21", nested(ex, "age_equal_or_over", **{"21": None})),
            ("lower-case document_number", with_changes(ex, document_number="vpid0000001a")),
        ]
    return common + [
        ("nationality outside the digital route", with_changes(ex, nationality="FR")),
        ("PNG portrait", with_changes(ex, portrait="data:image/png;base64,iVBORw0KGgo=")),
        ("portrait not base64", with_changes(ex, portrait="data:image/jpeg;base64,/9j/@@@@")),
        ("portrait not a data URL", with_changes(ex, portrait="https://idsp.test/photo.jpg")),
        ("driving licence", nested(ex, "document", type="driving_licence")),
        ("Irish passport card issued by GB", nested(ex, "document", type="irish_passport_card")),
        ("document expiry not a full-date", nested(ex, "document", expiry_date="2033-3-14")),
        ("document without number", nested(ex, "document", number=None)),
        ("confidence low", with_changes(ex, confidence="low")),
        ("medium confidence with a high profile", with_changes(ex, gpg45_profile="H1A")),
        ("malformed GPG 45 profile", with_changes(ex, gpg45_profile="medium")),
        ("share code claim", with_changes(ex, share_code="W12345678")),
        ("nationality not the document's state", with_changes(ex, nationality="IE")),
    ]


def bad_variants_v2(ex):
    """What the version 2 schema must reject: the common cases at their verified_claims
    paths, then the OIDC4IA members and Vouch's profile of them."""
    v, d, p = V2_VERIFICATION, V2_DOCUMENT, V2_PERSON
    check = v + ["evidence", 0, "check_details", 0]
    return [
        ("unknown claim", with_changes(ex, email="ada@example.test")),
        ("flat version 1 claim", with_changes(ex, confidence="medium")),
        ("unknown verified claim", at(ex, p + ["email"], "ada@example.test")),
        ("missing family_name", at(ex, p + ["family_name"], None)),
        ("impossible birthdate", at(ex, p + ["birthdate"], "1990-02-30")),
        ("birthdate not a full-date", at(ex, p + ["birthdate"], "10/12/1990")),
        ("given_name with leading space", at(ex, p + ["given_name"], " Ada")),
        ("given_name with a control character", at(ex, p + ["given_name"], "Ada\nLovelace")),
        ("vct of version 1", with_changes(ex, vct="urn:vouch:uk:right-to-work:1")),
        ("cnf carrying a private key", with_changes(ex, cnf={"jwk": dict(ISSUER_CLAIMS["cnf"]["jwk"], d="AAAA")})),
        ("cnf by remote reference", with_changes(ex, cnf={"jku": "https://issuer.vouch.test/jwks"})),
        ("without verified_claims", with_changes(ex, verified_claims=None)),
        ("without verification", at(ex, ["verified_claims", "verification"], None)),
        ("without portrait", with_changes(ex, portrait=None)),
        ("PNG portrait", with_changes(ex, portrait="data:image/png;base64,iVBORw0KGgo=")),
        ("another trust framework", at(ex, v + ["trust_framework"], "eidas")),
        ("without trust framework", at(ex, v + ["trust_framework"], None)),
        ("assurance level low", at(ex, v + ["assurance_level"], "low")),
        ("eIDAS assurance level", at(ex, v + ["assurance_level"], "substantial")),
        ("another policy", at(ex, v + ["assurance_process", "policy"], "nist_800_63a")),
        ("medium level with a high profile", at(ex, v + ["assurance_process", "procedure"], "H1A")),
        ("high level with a medium profile", at(ex, v + ["assurance_level"], "high")),
        ("malformed GPG 45 profile", at(ex, v + ["assurance_process", "procedure"], "medium")),
        ("verification time without seconds", at(ex, v + ["time"], "2026-11-20T10:15Z")),
        ("verification time without zone", at(ex, v + ["time"], "2026-11-20T10:15:00")),
        ("verification time a date", at(ex, v + ["time"], "2026-11-20")),
        ("no evidence", at(ex, v + ["evidence"], [])),
        ("two documents", at(ex, v + ["evidence"], get(ex, v + ["evidence"]) * 2)),
        ("evidence not a document", at(ex, v + ["evidence", 0, "type"], "electronic_record")),
        ("evidence without check_details", at(ex, v + ["evidence", 0, "check_details"], None)),
        ("empty check_details", at(ex, v + ["evidence", 0, "check_details"], [])),
        ("unknown check_method", at(ex, check + ["check_method"], "looked_at_it")),
        ("check without organization", at(ex, check + ["organization"], None)),
        ("driving licence", at(ex, d + ["type"], "driving_permit")),
        ("Irish passport card issued by GBR", at(ex, d + ["type"], "irish_passport_card")),
        ("alpha-2 issuing country", at(ex, d + ["issuer", "country_code"], "GB")),
        ("document issued by France", at(ex, d + ["issuer", "country_code"], "FRA")),
        ("document expiry not a full-date", at(ex, d + ["date_of_expiry"], "2033-3-14")),
        ("document without number", at(ex, d + ["document_number"], None)),
        ("version 1 document member", at(ex, d + ["number"], "123456789")),
        ("nationality outside the digital route", at(ex, p + ["nationalities"], ["FRA"])),
        ("alpha-2 nationality", at(ex, p + ["nationalities"], ["GB"])),
        ("no nationality", at(ex, p + ["nationalities"], [])),
        ("repeated nationality", at(ex, p + ["nationalities"], ["GBR", "GBR"])),
        ("share code claim", at(ex, p + ["share_code"], "W12345678")),
    ]


def minimal_presentation(name, ex, vct):
    """What a Holder might disclose to a verifier asking for little."""
    base = dict(ISSUER_CLAIMS, vct=vct)
    if name == "pid":  # an age check: one boolean, nothing else about the person
        return dict(base, age_equal_or_over={"18": True})
    if name == "right-to-work-v2":  # the same pre-screen, from inside verified_claims
        v = get(ex, V2_VERIFICATION)
        evidence = v["evidence"][0]
        return dict(base, verified_claims={
            "verification": {"time": v["time"], "evidence": [{
                "check_details": [{"organization": evidence["check_details"][0]["organization"]}],
                "document_details": {"type": "passport"}}]},
            "claims": {k: ex["verified_claims"]["claims"][k] for k in ("given_name", "family_name")},
        })
    # a pre-screen that sees who and that a check exists, without the document details
    return dict(base, given_name=ex["given_name"], family_name=ex["family_name"],
                check_date=ex["check_date"], checked_by=ex["checked_by"], document={"type": "passport"})


def semantic_checks(name, ex):
    """Rules JSON Schema cannot state, applied to the example."""
    if name == "right-to-work-v2":
        semantic_checks_v2(ex)
        return
    birth = datetime.date.fromisoformat(ex["birthdate"])
    if name == "pid":
        age = age_on(birth, datetime.date.today())
        for years, claimed in ex["age_equal_or_over"].items():
            assert claimed == (age >= int(years)), f"age_equal_or_over.{years} is {claimed} but age is {age}"
        return
    checked = datetime.date.fromisoformat(ex["check_date"])
    expiry = datetime.date.fromisoformat(ex["document"]["expiry_date"])
    assert birth < checked, "birthdate is not before check_date"
    assert expiry >= checked, "the document had expired at check_date (the IDSP route needs a valid document)"
    header, b64 = ex["portrait"].split(",", 1)
    assert header == "data:image/jpeg;base64"
    width, height = jpeg_dimensions(base64.b64decode(b64, validate=True))
    assert width <= height, f"portrait is {width}x{height}: expected portrait orientation"


def semantic_checks_v2(ex):
    """Version 2's cross-claim rules: the document valid on the day of the check and of the
    nationality claimed, the checks before the end of the process, the procedure a profile
    GPG 45 names at the level stated, a portrait photo."""
    v = get(ex, V2_VERIFICATION)
    person = get(ex, V2_PERSON)
    doc = get(ex, V2_DOCUMENT)
    evidence = v["evidence"][0]

    def moment(s):
        return datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))

    checked = moment(v["time"])
    birth = datetime.date.fromisoformat(person["birthdate"])
    expiry = datetime.date.fromisoformat(doc["date_of_expiry"])
    assert birth < checked.date(), "birthdate is not before the check"
    assert expiry >= checked.date(), "the document had expired at the check (the IDSP route needs a valid document)"
    assert doc["issuer"]["country_code"] in person["nationalities"], \
        "the nationalities do not include the state that issued the checked document"
    for when in [evidence["time"]] + [c["time"] for c in evidence["check_details"]]:
        assert moment(when) <= checked, f"a check at {when} is after the process completed at {v['time']}"
    procedure = v["assurance_process"]["procedure"]
    assert procedure in GPG45_PROFILES[v["assurance_level"]], \
        f"{procedure} is not a GPG 45 profile at the {v['assurance_level']} level"
    header, b64 = ex["portrait"].split(",", 1)
    assert header == "data:image/jpeg;base64"
    width, height = jpeg_dimensions(base64.b64decode(b64, validate=True))
    assert width <= height, f"portrait is {width}x{height}: expected portrait orientation"


def main() -> int:
    passed = failed = 0

    def check(label, fn):
        nonlocal passed, failed
        try:
            fn()
        except AssertionError as e:
            failed += 1
            print(f"FAIL {label}: {e}")
        except Exception as e:  # a crash in a check is a failure of that check
            failed += 1
            print(f"FAIL {label}: {type(e).__name__}: {e}")
        else:
            passed += 1
            print(f"ok   {label}")

    loaded = {}
    for name, vct in TYPES.items():
        try:
            loaded[name] = (load(f"credential-types/{name}.schema.json"),
                            load(f"credential-types/{name}.type-metadata.json"),
                            load(f"examples/{name}.claims.json"))
        except (OSError, ValueError) as e:
            failed += 1
            print(f"FAIL {name}: cannot load: {e}")

    for name, (schema, meta, ex) in loaded.items():
        vct = TYPES[name]
        claims = meta.get("claims", [])
        by_path = {tuple(c["path"]): c for c in claims if isinstance(c, dict) and "path" in c}

        def schema_is_valid():
            Draft202012Validator.check_schema(schema)
            assert schema.get("additionalProperties") is False, "top level must set additionalProperties false"

        def metadata_follows_draft():
            errs = errors(TYPE_METADATA_SCHEMA, meta)
            assert not errs, "; ".join(errs)
            assert meta["vct"] == vct, f"vct is {meta['vct']}, expected {vct}"
            assert schema["properties"]["vct"] == {"const": vct}, "schema does not pin vct"
            svg_ids = [c["svg_id"] for c in claims if "svg_id" in c]
            assert len(svg_ids) == len(set(svg_ids)), "svg_id values are not unique"
            assert len(by_path) == len(claims), "two claim metadata objects share a path"
            assert any(d["locale"] == LOCALE for d in meta.get("display", [])), f"no {LOCALE} type display"
            for c in claims:
                locales = [d["locale"] for d in c.get("display", [])]
                assert len(locales) == len(set(locales)), f"{c['path']}: repeated display locale"
                assert not locales or LOCALE in locales, f"{c['path']}: display without {LOCALE}"

        def paths_resolve():
            for c in claims:
                schema_node(schema, c["path"])

        def every_claim_has_sd_rule():
            missing = [p for p in claim_paths(schema) if "sd" not in by_path.get(tuple(p), {})]
            assert not missing, f"schema claims without an explicit sd rule: {missing}"

        def sd_policy():
            for path, c in by_path.items():
                want = "never" if len(path) == 1 and path[0] in NEVER_SD else "always"
                assert c.get("sd") == want, f"{list(path)}: sd is {c.get('sd')}, Vouch policy says {want}"
            for claim in ["iss", "iat", "exp", "vct", "cnf", "status"]:
                assert (claim,) in by_path, f"no claim metadata for {claim}"

        def mandatory_matches_required():
            for path, required, keys in required_sets(schema):
                mandatory = {k for k in keys if by_path.get(tuple(path + [k]), {}).get("mandatory")}
                assert mandatory == required, (f"at {path or '(root)'}: mandatory {sorted(mandatory)} "
                                               f"but schema requires {sorted(required)}")

        def example_valid():
            errs = errors(schema, ex)
            assert not errs, "; ".join(errs)
            added = sorted(REGISTERED & ex.keys())
            assert not added, f"example carries issuer-added claims {added}"

        def example_as_issued_valid():
            errs = errors(schema, dict(ex, vct=vct, **ISSUER_CLAIMS))
            assert not errs, "; ".join(errs)

        def bad_variants_rejected():
            as_issued = dict(ex, vct=vct, **ISSUER_CLAIMS)
            accepted = [why for why, bad in bad_variants(name, as_issued) if not errors(schema, bad)]
            assert not accepted, f"schema accepts: {accepted}"

        def presentation_checks():
            pres = presentation_schema(schema, meta)
            Draft202012Validator.check_schema(pres)
            minimal = minimal_presentation(name, ex, vct)
            errs = errors(pres, minimal)
            assert not errs, "minimal presentation rejected: " + "; ".join(errs)
            assert errors(schema, minimal), "the issuance schema should reject a partial payload"
            errs = errors(pres, dict(ex, vct=vct, **ISSUER_CLAIMS))
            assert not errs, "full presentation rejected: " + "; ".join(errs)
            assert errors(pres, dict(minimal, email="ada@example.test")), "presentation schema accepts unknown claims"
            assert errors(pres, with_changes(minimal, vct=None, **{"given_name": 7})), "presentation schema accepts wrong types"

        check(f"{name}: schema is valid JSON Schema 2020-12", schema_is_valid)
        check(f"{name}: type metadata follows draft -19 and Vouch display rules", metadata_follows_draft)
        check(f"{name}: every claims[].path resolves to a schema property", paths_resolve)
        check(f"{name}: every schema claim has an explicit sd rule", every_claim_has_sd_rule)
        check(f"{name}: sd is never for registered claims, always for subject claims", sd_policy)
        check(f"{name}: mandatory claims are exactly the schema's required ones", mandatory_matches_required)
        check(f"{name}: example validates", example_valid)
        check(f"{name}: example plus issuer claims validates", example_as_issued_valid)
        check(f"{name}: known-bad variants are rejected", bad_variants_rejected)
        check(f"{name}: presentation schema accepts partial disclosure, stays strict", presentation_checks)
        check(f"{name}: example meets the cross-claim rules", lambda: semantic_checks(name, ex))

    def shared_defs_identical():
        schemas = {n: s for n, (s, _, _) in loaded.items()}
        for key in SHARED_DEFS:
            versions = {json.dumps(s["$defs"].get(key), sort_keys=True) for s in schemas.values()}
            assert len(versions) == 1, f"$defs/{key} differs between {sorted(schemas)}"
        for key in REGISTERED - {"vct"}:
            versions = {json.dumps(s["properties"].get(key), sort_keys=True) for s in schemas.values()}
            assert len(versions) == 1, f"properties/{key} differs between {sorted(schemas)}"

    if len(loaded) > 1:
        check("shared definitions are identical across schemas", shared_defs_identical)

    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
