"""The Torque spec 2 reader, without the API."""

from __future__ import annotations

from spacegate.blueprints.spec import MAX_VALUES, parse_blueprint

VALID = """spec_version: 2
description: '  A queue  '
instructions:
  text: read me
inputs:
  size:
    type: numeric
    default: 3
    allowed-values: [1, 3, 5]
  password:
    type: string
    sensitive: true
  created:
    default: 2024-01-02
outputs:
  endpoint: '{{ .grains.queue.outputs.endpoint }}'
grains:
  queue:
    kind: terraform
    x-owner: team-data
    spec:
      source:
        store: infra
        path: terraform/queue
  check:
    kind: shell
    depends-on: queue
"""


def test_a_valid_blueprint_keeps_what_it_does_not_know() -> None:
    parsed = parse_blueprint("queue", VALID)
    assert parsed.errors == []
    assert parsed.description == "A queue"
    assert parsed.document["instructions"] == {"text": "read me"}
    assert parsed.document["grains"]["queue"]["x-owner"] == "team-data"
    inputs = {i["name"]: i for i in parsed.inputs}
    assert inputs["size"]["default"] == 3 and inputs["size"]["allowed_values"] == [1, 3, 5]
    assert inputs["password"]["sensitive"] is True and inputs["password"]["has_default"] is False
    assert inputs["created"]["type"] == "string"
    assert inputs["created"]["default"] == "2024-01-02"  # YAML dates become text
    assert parsed.outputs == [
        {
            "name": "endpoint",
            "value": "{{ .grains.queue.outputs.endpoint }}",
            "description": None,
            "kind": None,
            "quick": False,
        }
    ]
    assert [(g["name"], g["kind"], g["source_path"]) for g in parsed.grains] == [
        ("queue", "terraform", "terraform/queue"),
        ("check", "shell", None),
    ]


def messages(text: str | bytes) -> list[str]:
    return [problem.message for problem in parse_blueprint("x", text).errors]


def test_spec_version_and_shape() -> None:
    assert messages("grains:\n  a:\n    kind: shell\n") == [
        "spec_version is missing; spacegate reads spec_version 2 blueprints."
    ]
    assert messages("spec_version: 1\ngrains:\n  a:\n    kind: shell\n") == [
        "spec_version 1 is not supported; use spec_version 2."
    ]
    assert messages("- a\n- b\n") == [
        "A blueprint must be a YAML mapping (key: value pairs) at its top level."
    ]
    assert messages("spec_version: 2\n") == ["A blueprint needs at least one grain."]
    assert "not valid YAML" in messages("a: 1\n---\nb: 2\n")[0]
    assert messages("") == [
        "A blueprint must be a YAML mapping (key: value pairs) at its top level."
    ]
    assert messages(b"\xff\xfe") == ["The file is not UTF-8 text."]


def test_inputs_and_grains_are_checked() -> None:
    found = messages(
        """spec_version: 2
inputs:
  env:
    type: choice
    default: qa
    allowed-values: [dev, prod]
    sensitive: maybe
grains:
  a:
    kind: helm
    depends-on: [a, ghost]
"""
    )
    assert found == [
        "Input 'env' has an unknown type 'choice'; use one of string, numeric, agent, "
        "credentials, execution-host, parameter.",
        "'sensitive' of input 'env' must be true or false.",
        "The default of input 'env' is not one of its allowed-values.",
        "Grain 'a' of kind helm needs spec.source.path: where its code is.",
        "Grain 'a' depends on itself.",
        "Grain 'a' depends on 'ghost', which is not a grain of this blueprint.",
    ]


def test_a_sensitive_flag_in_doubt_hides_the_default() -> None:
    parsed = parse_blueprint(
        "x", "spec_version: 2\ninputs:\n  p:\n    sensitive: yes-please\n    default: s3cr3t\n"
    )
    assert parsed.inputs[0]["sensitive"] is True


def test_alias_bombs_are_refused() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 8):
        refs = ", ".join([f"*a{level - 1}"] * 10)
        lines.append(f"a{level}: &a{level} [{refs}]")
    parsed = parse_blueprint("bomb", "\n".join(lines) + "\n")
    assert parsed.document == {}
    assert [p.message for p in parsed.errors] == [
        f"The document is too large: more than {MAX_VALUES} values or 64 levels once its "
        "YAML aliases are expanded."
    ]
    recursive = parse_blueprint("loop", "a: &a [*a]\n")
    assert recursive.document == {} and len(recursive.errors) == 1
