"""Extracts kubeconform-ready Kubernetes JSON schemas from the kubernetes-validate wheel.

    extract-k8s-schemas.py <wheel> <out-dir> <k8s-version>...   e.g. ... 1.29.0 1.37.0

Writes <out-dir>/v<version>-local-strict/*.json (strict: additionalProperties false). Per-kind
schemas carry "$id": "https://kubernetes.io/api/<kind>/<group>/<version>" and reference
"/api/_definitions.json#/$defs/...", i.e. https://kubernetes.io/api/_definitions.json, which the
wheel's own Python loader maps to the bundled file. kubeconform would fetch that URL, so for the
per-kind files only: the "$id" is dropped (the base URI becomes the file itself) and those refs
become "_definitions.json#/$defs/..." (the sibling file). Nothing else changes.
Called by ensure-tools.sh.
"""
import json
import os
import sys
import zipfile

PREFIX = "kubernetes_validate/kubernetes-json-schema/"


def localise_refs(text: str) -> str:
    schema = json.loads(text)
    schema.pop("$id", None)
    text = json.dumps(schema, indent=2)
    return text.replace('"/api/_definitions.json#', '"_definitions.json#')


def main() -> None:
    wheel, out, *versions = sys.argv[1:]
    wanted = {f"v{v}-local-strict" for v in versions}
    written = dict.fromkeys(wanted, 0)
    with zipfile.ZipFile(wheel) as archive:
        for name in archive.namelist():
            if not name.startswith(PREFIX) or not name.endswith(".json"):
                continue
            folder, _, file = name[len(PREFIX):].partition("/")
            if folder not in wanted or "/" in file:
                continue
            text = archive.read(name).decode("utf-8")
            if file != "_definitions.json":
                text = localise_refs(text)
            os.makedirs(os.path.join(out, folder), exist_ok=True)
            with open(os.path.join(out, folder, file), "w", encoding="utf-8") as f:
                f.write(text)
            written[folder] += 1
    missing = sorted(folder for folder, count in written.items() if count == 0)
    if missing:
        sys.exit(f"kubernetes-validate wheel has no schemas for {missing}")
    for folder, count in sorted(written.items()):
        print(f"{folder}: {count} schemas", file=sys.stderr)


if __name__ == "__main__":
    main()
