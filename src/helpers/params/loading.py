"""Reading a parameter file: YAML with line numbers, pydantic's errors said as one message naming the
file, the key and the fix, paths resolved beside the file."""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    BaseModel,
    ValidationError,
)

from helpers.core.errors import ConfigError
from helpers.params.config import Params
from helpers.params.inputs import FORMATS


def _key(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The keys a model accepts at a location, to suggest a fix for an unknown key."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int) or current is None:
            continue
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            return []
        ann = field.annotation
        current = None
        for candidate in getattr(ann, "__args__", (ann,)):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                current = candidate
            elif getattr(candidate, "__args__", None):  # dict[str, Model]
                for inner in candidate.__args__:
                    if isinstance(inner, type) and issubclass(inner, BaseModel):
                        current = inner
    return list(getattr(current, "model_fields", {}))


def _explain(err: dict[str, Any]) -> str:
    key = _key(tuple(err["loc"]))
    kind = err["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(Params, tuple(err["loc"]))
        hint = difflib.get_close_matches(str(err["loc"][-1]), allowed, n=1)
        fix = f"did you mean `{hint[0]}`?" if hint else f"allowed here: {', '.join(allowed)}"
        return f"`{key}`: unknown key; {fix}"
    if kind == "missing":
        return f"`{key}`: required key is missing; add it"
    msg = err["msg"].removeprefix("Value error, ")
    got = err.get("input")
    shown = "" if isinstance(got, dict | list) or got is None else f" (got {got!r})"
    if len(shown) > 100 or kind == "value_error" and "filter" in key:  # the message quotes it
        shown = "" if kind == "value_error" else shown[:96] + "…)"
    if not err["loc"]:  # a rule across several keys: the message names them
        return msg
    return f"`{key}`: {msg}{shown}"


def _resolve(params: Params, base: Path, where: str) -> Params:
    data = params.data
    update = {}
    for name, src in data.named().items():
        if not src.remote and not src.path.is_absolute():
            update[name] = src.model_copy(update={"path": (base / src.path).resolve()})
    key = params.privacy.key_file
    privacy = params.privacy.model_copy(
        update={"key_file": key if key.is_absolute() else (base / key).resolve()}
    )
    return params.model_copy(
        update={
            "data": data.model_copy(update=update),
            "privacy": privacy,
            "source": base,
            "source_file": where,
        }
    )


def parse_params(raw: Any, where: str, base: Path) -> Params:
    """Validate a parsed parameter mapping; `where` names the file in messages."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: the file must be a YAML mapping of keys to values")
    try:
        params = Params.model_validate(raw)
    except ValidationError as exc:
        lines = [_explain(e) for e in exc.errors()]
        raise ConfigError(f"{where}: bad parameters\n  - " + "\n  - ".join(lines)) from None
    params = _resolve(params, base, where)
    if params.engine == "spark":
        _check_spark(where)
    for name, src in params.data.named().items():
        if src.remote and (params.engine != "spark" or src.kind not in ("", "parquet")):
            raise ConfigError(
                f"{where}: `data.{name}.path`: '{src.path}' is a URL; only Spark reads those, "
                "and only Parquet: set `engine: spark` and `format: parquet`, or copy the "
                "file to a local path"
            )
        if not src.kind:
            raise ConfigError(
                f"{where}: `data.{name}.path`: cannot tell the format of '{src.name}'; "
                f"add `format:` (one of {', '.join(FORMATS)})"
            )
        if src.remote:
            continue
        if src.is_pattern and not src.files:
            raise ConfigError(
                f"{where}: `data.{name}.path`: no file matches {src.path}; fix the pattern "
                "(relative paths start at the parameter file's folder)"
            )
        if not src.is_pattern and not src.path.exists():
            raise ConfigError(
                f"{where}: `data.{name}.path`: file not found: {src.path}; "
                "fix the path (relative paths start at the parameter file's folder)"
                + ("; for the demo data run `workbook demo-data`" if "demo" in str(src.path) else "")
            )
        if src.path.is_dir() and not src.files:
            raise ConfigError(
                f"{where}: `data.{name}.path`: the folder {src.path} holds no {src.kind} file; "
                "fix the path or `format:`"
            )
    return params


def _check_spark(where: str) -> None:
    """Stop early, with what to install, when Spark was chosen but cannot start here."""
    import importlib.util
    import os
    import shutil

    if importlib.util.find_spec("pyspark") is None:
        raise ConfigError(
            f"{where}: `engine: spark`: PySpark is not installed; install the Spark extra with "
            '`.venv/bin/pip install -e ".[spark]"`, or use `engine: duckdb`'
        )
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        raise ConfigError(
            f"{where}: `engine: spark`: Spark needs Java (17 or 21) and none was found; install a "
            "JDK and put `java` on the PATH (or set JAVA_HOME), or use `engine: duckdb`"
        )


class _Loader(yaml.SafeLoader):
    """YAML without implicit timestamps: dates stay text until pydantic checks them; a key twice
    in one mapping is an error (PyYAML keeps the last silently: `{6: 1,000–4,999, 7: 5,000–9,999}`
    reads as keys 6, 000–4, 999, 7, 000–9 and 999 again)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *anchor` may be overridden
                continue
            key = self.construct_object(key_node, deep=deep)
            try:
                twice = key in seen
                seen.add(key)
            except TypeError:  # an unhashable key: PyYAML reports it itself
                continue
            if twice:
                fix = (
                    'inside { }, a value with a comma must be quoted, as in "1,000–4,999"'
                    if node.flow_style
                    else "keep one of them"
                )
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping",
                    node.start_mark,
                    f"the key {key!r} appears twice in one mapping (the second would replace the "
                    f"first); {fix}",
                    key_node.start_mark,
                )
        return super().construct_mapping(node, deep=deep)


# and YAML 1.2 booleans: only true/false, so `definition: on` stays the word "on"
_Loader.yaml_implicit_resolvers = {
    key: [
        (tag, rx)
        for tag, rx in resolvers
        if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")
    ]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def read_yaml(text: str) -> Any:
    """Parse YAML as parameter files are parsed (dates as text, only true/false as booleans)."""
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass


def load_params(path: str | Path) -> Params:
    """Read and validate a parameter file; raise ConfigError with one clear message."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: parameter file not found")
    if path.is_dir():
        raise ConfigError(
            f"{path}: is a folder; give the parameter file inside it, e.g. {path / 'demo.yaml'}"
        )
    try:
        text = path.read_text(encoding="utf-8")
        if "\x00" in text:
            raise UnicodeDecodeError("utf-8", b"", 0, 1, "binary")
        raw = read_yaml(text)
    except UnicodeDecodeError:
        raise ConfigError(
            f"{path}: not a UTF-8 text file (saved in another encoding, or not "
            "text at all); save it as UTF-8 from your editor"
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"{path}: cannot be read ({exc.strerror}); check the path and its permissions"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{path}: not valid YAML{where}: {problem}") from None
    return parse_params(raw, str(path), path.parent.resolve())


def params_as_dict(params: Params) -> dict[str, Any]:
    """The parameters as plain JSON-able data."""
    return json.loads(params.to_json())
