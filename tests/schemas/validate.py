#!/usr/bin/python3
"""validate.py SCHEMA DOCUMENT -- checks a JSON document against a JSON schema with the
jsonschema package (Debian's python3-jsonschema); prints every error and exits 1 when it fails."""
import json
import sys

import jsonschema

schema = json.load(open(sys.argv[1]))
document = json.load(open(sys.argv[2]))
validator = jsonschema.validators.validator_for(schema)(schema)
validator.check_schema(schema)
errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
for e in errors:
    print("%s: %s" % ("/".join(str(p) for p in e.absolute_path) or "(document)", e.message))
print("%s: %d schema error%s" % (sys.argv[2], len(errors), "" if len(errors) == 1 else "s"))
sys.exit(1 if errors else 0)
