"""The source registry: every bad input is named in one line, the real seeds load."""
from __future__ import annotations

from pathlib import Path

import pytest

import redline.registry.load as sources_mod
from redline.core.errors import ConfigError, RegistryError
from redline.registry.load import Registry, default_registry_path, load_registry, parse_registry

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO / "seeds" / "sources.toml"

GOOD = '''
version = 1

[[source]]
name = "alpha"
url = "https://example.org/a.html"
title = "Alpha statement"
date = "2020-12-16 22:36"
tags = ["mfa", "cyber"]
profile = "mfa_en_2024"

[[source]]
name = "beta"
url = "http://example.org/b.htm"
tags = ["un", "cyber"]
masks = ['Visits: \\d+']

[[source]]
name = "gamma"
url = "https://example.org/c.html"
tags = ["cyber"]
enabled = false

[[source]]
name = "index"
url = "https://example.org/list/"
kind = "listing"
tags = ["listing", "mfa"]
'''


def problems_of(text: str, path: str = "sources.toml") -> list[str]:
    with pytest.raises(RegistryError) as info:
        parse_registry(text, path=path)
    assert str(info.value) == "\n".join(info.value.problems)
    return info.value.problems


def one_problem(text: str) -> str:
    problems = problems_of(text)
    assert len(problems) == 1, problems
    assert "\n" not in problems[0]
    return problems[0]


def entry(**keys: str) -> str:
    body = "\n".join(f"{k} = {v}" for k, v in keys.items())
    return f"[[source]]\n{body}\n"


# -- the good path -------------------------------------------------------------


def test_parses_every_key_into_a_source() -> None:
    registry = parse_registry(GOOD, path="x/sources.toml")
    assert registry.path == Path("x/sources.toml")
    alpha = registry.by_name("alpha")
    assert alpha.url == "https://example.org/a.html"
    assert alpha.title == "Alpha statement" and alpha.date == "2020-12-16 22:36"
    assert alpha.tags == ("mfa", "cyber") and alpha.profile == "mfa_en_2024"
    assert alpha.kind == "statement" and alpha.enabled and alpha.language == "en" and alpha.origin == "seed"
    assert registry.by_name("beta").masks == (r"Visits: \d+",)
    assert [s.name for s in registry.statements()] == ["alpha", "beta", "gamma"]
    assert [s.name for s in registry.listings()] == ["index"]


def test_an_unquoted_toml_date_is_kept_as_text() -> None:
    registry = parse_registry(entry(name='"a"', url='"https://e.org/"', date="2016-07-11"))
    assert registry.sources[0].date == "2016-07-11"


def test_select_defaults_to_enabled_statements() -> None:
    registry = parse_registry(GOOD)
    assert [s.name for s in registry.select()] == ["alpha", "beta"]


def test_select_by_name_and_tag() -> None:
    registry = parse_registry(GOOD)
    assert [s.name for s in registry.select(names=["beta"])] == ["beta"]
    assert [s.name for s in registry.select(names=["gamma"])] == ["gamma"]  # disabled, but asked for by name
    assert [s.name for s in registry.select(tags=["mfa"])] == ["alpha"]    # listings only when asked for
    assert [s.name for s in registry.select(tags=["mfa"], kinds=("statement", "listing"))] == ["alpha", "index"]
    assert [s.name for s in registry.select(tags=["un", "mfa"])] == ["alpha", "beta"]
    assert [s.name for s in registry.select(names=["alpha"], tags=["un"])] == ["alpha", "beta"]


def test_select_names_every_unknown_name_and_tag() -> None:
    registry = parse_registry(GOOD)
    with pytest.raises(ConfigError) as info:
        registry.select(names=["alpah", "zzz"], tags=["cybre"])
    message = str(info.value)
    assert "\n" not in message
    assert '"alpah" (did you mean "alpha"?)' in message and '"zzz"' in message
    assert 'tag "cybre" (did you mean "cyber"?)' in message


def test_by_name_unknown_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match='no source named "nope"'):
        parse_registry(GOOD).by_name("nope")


# -- one line per problem --------------------------------------------------------


def test_unknown_key() -> None:
    line = one_problem(entry(name='"a"', url='"https://e.org/"', urll='"x"'))
    assert line.startswith('sources.toml: source #1 "a": unknown key "urll"')
    assert 'did you mean "url"?' in line and "expected one of: name, url," in line


def test_missing_required_field() -> None:
    assert one_problem(entry(name='"a"')) == 'sources.toml: source #1 "a": missing required key "url"'
    assert one_problem(entry(url='"https://e.org/"')) == 'sources.toml: source #1: missing required key "name"'


def test_duplicate_names_name_both_entries() -> None:
    line = one_problem(entry(name='"a"', url='"https://e.org/1"') + entry(name='"a"', url='"https://e.org/2"'))
    assert line == 'sources.toml: source #2 "a": duplicate name "a" (also used by source #1 "a")'


def test_duplicate_urls_compare_scheme_host_case_and_default_port() -> None:
    line = one_problem(entry(name='"a"', url='"https://e.org/p"') + entry(name='"b"', url='"HTTPS://E.org:443/p#x"'))
    assert line.startswith('sources.toml: source #2 "b": duplicate url "HTTPS://E.org:443/p#x"')
    assert line.endswith('(also used by source #1 "a")')


@pytest.mark.parametrize("url, expect", [
    ('"ftp://e.org/x"', "must start with http:// or https:// (has ftp:)"),
    ('"file:///etc/passwd"', "must start with http:// or https://"),
    ('"javascript:alert(1)"', "must start with http:// or https://"),
    ('"e.org/x"', "(has no scheme)"),
    ('"https:///nohost"', "has no host"),
    ('"http://e.org:99999/"', "is not a valid URL"),
    ('"https://user:pw@e.org/"', "must not carry a user name or password"),
    ('"https://e.org/a b"', "contains whitespace"),
])
def test_non_http_or_broken_url(url: str, expect: str) -> None:
    line = one_problem(entry(name='"a"', url=url))
    assert line.startswith('sources.toml: source #1 "a": url ') and expect in line


def test_bad_regex_in_masks_names_the_regex_error() -> None:
    line = one_problem(entry(name='"a"', url='"https://e.org/"', masks="['ok', '(unclosed']"))
    assert line.startswith('sources.toml: source #1 "a": mask "(unclosed" is not a valid regular expression: ')
    assert "missing )" in line


def test_unknown_profile() -> None:
    line = one_problem(entry(name='"a"', url='"https://e.org/"', profile='"mfa_en_2025"'))
    assert line.startswith('sources.toml: source #1 "a": unknown profile "mfa_en_2025" (did you mean "mfa_en_2024"?)')
    expected = line.rpartition("(expected one of: ")[2].rstrip(")").split(", ")
    assert {"auto", "generic", "mfa_en_legacy", "mfa_en_2024", "mfa_zh", "un_mission", "cac"} <= set(expected)


@pytest.mark.parametrize("name", ["../x", "a/b", "..", ".", "", "A", "-a", "a-", "a_b", "a.b", "a\\nb", "x" * 81,
                                  "alerts"])
def test_names_that_could_escape_a_folder_or_clash_are_refused(name: str) -> None:
    line = one_problem(entry(name=f'"{name}"', url='"https://e.org/"'))
    assert "name " in line and ("must be 1-80 lowercase letters" in line or "is reserved" in line)


def test_names_at_the_limits_are_fine() -> None:
    registry = parse_registry(entry(name='"a"', url='"https://e.org/1"') + entry(name=f'"{"9" * 80}"',
                                                                                  url='"https://e.org/2"'))
    assert [len(s.name) for s in registry.sources] == [1, 80]


@pytest.mark.parametrize("key, value, expect", [
    ("title", "3", 'key "title" must be a string, not an integer'),
    ("name", "true", 'key "name" must be a string, not true or false'),
    ("tags", '"cyber"', 'key "tags" must be a list of strings, not a string'),
    ("tags", "[1]", 'key "tags" must be a list of strings; 1 is an integer'),
    ("masks", "{a = 1}", 'key "masks" must be a list of strings, not a table'),
    ("enabled", '"yes"', 'key "enabled" must be true or false, not a string'),
    ("kind", '"page"', 'key "kind" = "page" is not one of: statement, listing'),
    ("origin", '"robot"', 'key "origin" = "robot" is not one of: seed, operator, discovered'),
    ("language", '"English"', 'key "language" = "English" is not a language code'),
])
def test_wrong_types_and_values(key: str, value: str, expect: str) -> None:
    keys = {"name": '"a"', "url": '"https://e.org/"', key: value}
    line = one_problem(entry(**keys))
    assert expect in line, line
    assert line.startswith("sources.toml: source #1")


def test_toml_syntax_error_has_the_line_number() -> None:
    line = one_problem('[[source]]\nname = "a"\nurl = "https://e.org/\n')
    assert line.startswith("sources.toml: TOML syntax error: ") and "line 3" in line


def test_file_level_problems() -> None:
    assert one_problem("") == "sources.toml: no sources defined (add [[source]] tables)"
    assert "version = 2 is not supported" in one_problem("version = 2\n" + entry(name='"a"', url='"http://e.org/"'))
    assert "written [[source]] (not [source])" in one_problem('[source]\nname = "a"\nurl = "http://e.org/"\n')
    assert 'unknown top-level key "sources" (did you mean "source"?)' in one_problem('[[sources]]\nname = "a"\n')


def test_baseline_must_exist_relative_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "seed.txt").write_text("text", encoding="utf-8")
    text = entry(name='"a"', url='"https://e.org/1"', baseline='"seed.txt"')
    registry = parse_registry(text, path=str(tmp_path / "sources.toml"))
    assert registry.baseline_path(registry.sources[0]) == tmp_path / "seed.txt"
    line = one_problem(entry(name='"a"', url='"https://e.org/"', baseline='"missing.txt"'))
    assert line.startswith('sources.toml: source #1 "a": baseline file "missing.txt" not found')


def test_all_problems_are_reported_together(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(
        entry(name='"../x"', urll='"https://e.org/"')
        + entry(name='"ok"', url='"ftp://e.org/"', masks="['(']", profile='"nope"')
        + entry(name='"ok"', url='"https://e.org/2"', enabled='"no"'),
        encoding="utf-8")
    with pytest.raises(RegistryError) as info:
        load_registry(path)
    problems = info.value.problems
    assert all(p.startswith(f"{path}: source #") and "\n" not in p for p in problems)
    joined = "\n".join(problems)
    for expect in ['#1 "../x": unknown key "urll"', '#1 "../x": missing required key "url"',
                   '#1 "../x": name "../x" must be', '#2 "ok": url "ftp://e.org/" must start with',
                   '#2 "ok": mask "(" is not a valid regular expression', '#2 "ok": unknown profile "nope"',
                   '#3 "ok": key "enabled" must be true or false', '#3 "ok": duplicate name "ok" (also used by source #2']:
        assert expect in joined, expect
    assert len(problems) == 8


def test_missing_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(RegistryError) as info:
        load_registry(tmp_path / "nope.toml")
    assert info.value.problems == [f"{tmp_path / 'nope.toml'}: sources file not found"]


# -- parsed once per process ------------------------------------------------------
# A run's command, flow and tasks all load the sources file: the same content is parsed once.


def test_an_unchanged_sources_file_is_parsed_once(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(GOOD, encoding="utf-8")
    first = load_registry(path)
    assert load_registry(path) is first
    assert load_registry(str(path)) is first


def test_a_changed_sources_file_is_read_again_even_with_its_size_and_mtime(tmp_path: Path) -> None:
    import os

    path = tmp_path / "sources.toml"
    path.write_text(GOOD, encoding="utf-8")
    assert load_registry(path).by_name("alpha").title == "Alpha statement"
    stamp = path.stat()
    path.write_text(GOOD.replace("Alpha statement", "Omega statement"), encoding="utf-8")  # same length
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert path.stat().st_size == stamp.st_size and path.stat().st_mtime_ns == stamp.st_mtime_ns
    assert load_registry(path).by_name("alpha").title == "Omega statement"


def test_a_sources_file_that_turns_bad_is_refused_every_time(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(GOOD, encoding="utf-8")
    load_registry(path)
    path.write_text(GOOD + entry(name='"alpha"', url='"https://example.org/z"'), encoding="utf-8")
    for _ in range(2):
        with pytest.raises(RegistryError) as info:
            load_registry(path)
        assert 'duplicate name "alpha"' in info.value.problems[0]
    path.unlink()
    with pytest.raises(RegistryError) as info:
        load_registry(path)
    assert info.value.problems == [f"{path}: sources file not found"]


def test_a_baseline_removed_after_the_file_was_parsed_is_still_refused(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    (tmp_path / "seed.txt").write_text("The text.\n", encoding="utf-8")
    path.write_text(entry(name='"a"', url='"https://e.org/"', baseline='"seed.txt"'), encoding="utf-8")
    assert load_registry(path).sources[0].baseline == "seed.txt"
    (tmp_path / "seed.txt").unlink()
    with pytest.raises(RegistryError) as info:
        load_registry(path)
    assert info.value.problems == [f'{path}: source #1 "a": baseline file "seed.txt" not found '
                                   f'(looked for {tmp_path / "seed.txt"})']


# -- the real seeds ---------------------------------------------------------------


def test_the_seed_registry_loads() -> None:
    registry = load_registry(SEEDS)
    assert isinstance(registry, Registry)
    assert len(registry.statements()) == 5 and len(registry.listings()) == 7
    assert all(s.enabled and s.language == "en" and s.origin == "seed" for s in registry.sources)
    for s in registry.statements():
        assert s.title and s.date and s.tags and s.profile != "auto"
        assert registry.baseline_path(s).is_file(), s.name
        assert registry.baseline_path(s).name.startswith(f"{registry.statements().index(s):03d}_")
    assert all(s.kind == "listing" and s.tags[0] == "listing" for s in registry.listings())
    assert [s.profile for s in registry.statements()] == ["mfa_en_2024", "mfa_en_legacy", "un_mission",
                                                         "un_mission", "cac"]
    assert {s.url for s in registry.listings()} == {
        "https://www.fmprc.gov.cn/eng/wjb/zzjg_663340/jks_665232/kjfywj_665252/",
        "https://www.fmprc.gov.cn/eng/xw/zyxw/", "https://www.fmprc.gov.cn/eng/xw/zyjh/",
        "https://www.fmprc.gov.cn/eng/xw/wjbxw/", "https://www.fmprc.gov.cn/eng/zy/gb/",
        "http://un.china-mission.gov.cn/eng/chinaandun/securitycouncil/thematicissues/other_thematicissues/",
        "http://un.china-mission.gov.cn/eng/hyyfy/"}


def test_seed_selection() -> None:
    registry = load_registry(SEEDS)
    assert len(registry.select()) == 5
    assert [s.profile for s in registry.select(tags=["asean"])] == ["mfa_en_2024", "cac"]
    assert len(registry.select(tags=["listing"], kinds=("listing",))) == 7
    assert len(registry.select(tags=["mission"])) == 2


def test_default_registry_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert default_registry_path({}, cwd=tmp_path) == SEEDS
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "sources.toml").write_text("", encoding="utf-8")
    assert default_registry_path({}, cwd=tmp_path) == (tmp_path / "seeds" / "sources.toml").resolve()
    other = tmp_path / "mine.toml"
    assert default_registry_path({"REDLINE_SOURCES": str(other)}, cwd=tmp_path) == other.resolve()
    monkeypatch.setenv("REDLINE_SOURCES", str(other))
    assert sources_mod.DEFAULT_REGISTRY == other.resolve()


@pytest.mark.parametrize("url", ['"http://alice:s3cretpw@e.org/p"', '"http://alice:s3cretpw@e.org:99999/"',
                                 '"ftp://alice:s3cretpw@e.org/"', '"http://alice:s3cretpw@e.org/a b"'])
def test_url_with_credentials_error_never_echoes_the_password(url: str) -> None:
    line = one_problem(entry(name='"a"', url=url))
    assert "s3cretpw" not in line and "alice:***@e.org" in line


def test_unicode_host_and_its_punycode_form_are_one_source() -> None:
    line = one_problem(entry(name='"a"', url='"https://bücher.example/p"')
                       + entry(name='"b"', url='"https://xn--bcher-kva.example/p"'))
    assert line.startswith('sources.toml: source #2 "b": duplicate url "https://xn--bcher-kva.example/p"')
