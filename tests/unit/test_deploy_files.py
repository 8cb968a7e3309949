"""The example deployment in deploy/ keeps to what the app and README promise: nginx writes
down no respondent's address, browser or query string; its limits match the app's; the
systemd units run gunicorn with Candour's settings file on the ports nginx sends to; the
environment example names only settings config.py reads, and production refuses it until
every placeholder is replaced.

``nginx -t`` and ``systemd-analyze verify`` run when the machine has them (with throwaway
paths in place of /etc and /srv); otherwise those two tests are skipped, saying so.
"""

from __future__ import annotations

import ast
import base64
import re
import secrets
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from config import ROOT, Config, ConfigError, ProductionConfig, load_config
from survey_app import gunicorn_conf
from survey_app.crypto import generate_key_spec
from survey_app.web import drafts
from tests.helpers.notices import filled_notices

DEPLOY = ROOT / "deploy"
NGINX = DEPLOY / "nginx" / "candour.conf"
ENVIRONMENT = DEPLOY / "environment.example"
UNITS = DEPLOY / "systemd"
WEB_UNITS = {"respondents": UNITS / "candour-respondents.service"}
WEB_UNITS["staff"] = UNITS / "candour-staff.service"
JOBS_UNIT = UNITS / "candour-jobs@.service"
RETENTION_UNIT = UNITS / "candour-retention.service"
PLACEHOLDER = "change-me"

# What an access log line must never hold for a respondent, and what no log line may hold at
# all: the query string (in $request and $request_uri too), the browser, cookies, referrer.
QUERY_OR_BROWSER = re.compile(
    r"\$(request|request_uri|args|query_string|is_args|arg_\w+|http_user_agent|http_referer"
    r"|http_cookie|cookie_\w+|request_body)\b"
)
ADDRESS = re.compile(
    r"\$(remote_addr|binary_remote_addr|realip_remote_addr|http_x_forwarded_for"
    r"|proxy_add_x_forwarded_for|http_x_real_ip|http_forwarded)\b"
)


# --- a small reader of nginx's configuration language -----------------------------------------


@dataclass
class Directive:
    name: str
    args: list[str]
    block: list[Directive] | None = None
    parents: list[Directive] = field(default_factory=list)

    def children(self, name: str) -> list[Directive]:
        return [child for child in self.block or [] if child.name == name]

    def walk(self) -> list[Directive]:
        found = []
        for child in self.block or []:
            found.append(child)
            found.extend(child.walk())
        return found


_TOKEN = re.compile(
    r"""\s+|#[^\n]*|"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|([{};])|([^\s{};"'#]+)"""
)


def _tokens(text: str) -> list[tuple[str, bool]]:
    """(token, is_punctuation) pairs; quoted strings lose their quotes."""
    tokens = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        assert match is not None, f"cannot read nginx text at {text[position : position + 30]!r}"
        position = match.end()
        double, single, punctuation, word = match.groups()
        if punctuation:
            tokens.append((punctuation, True))
        elif word is not None:
            tokens.append((word, False))
        elif double is not None or single is not None:
            tokens.append((double if double is not None else single, False))
    return tokens


def parse_nginx(text: str) -> Directive:
    root = Directive("(file)", [], [])
    stack = [root]
    words: list[str] = []
    for token, punctuation in _tokens(text):
        if not punctuation:
            words.append(token)
            continue
        if token == "}":
            assert not words and len(stack) > 1, "unbalanced braces"
            stack.pop()
            continue
        assert words, f"a {token!r} without a directive"
        directive = Directive(words[0], words[1:], [] if token == "{" else None, stack[1:])
        assert stack[-1].block is not None
        stack[-1].block.append(directive)
        if token == "{":
            stack.append(directive)
        words = []
    assert len(stack) == 1 and not words, "unbalanced braces or a missing semicolon"
    return root


def _size(value: str) -> int:
    units = {"": 1, "k": 1024, "m": 1024 * 1024, "g": 1024**3}
    match = re.fullmatch(r"(\d+)([kmg]?)", value.lower())
    assert match, value
    return int(match.group(1)) * units[match.group(2)]


@pytest.fixture(scope="module")
def site() -> Directive:
    return parse_nginx(NGINX.read_text(encoding="utf-8"))


def _servers(site: Directive) -> list[Directive]:
    servers = site.children("server")
    assert len(servers) == 2, "one server for plain HTTP, one for HTTPS"
    return servers


def _https(site: Directive) -> Directive:
    (https,) = [s for s in _servers(site) if any("ssl" in d.args for d in s.children("listen"))]
    return https


def _locations(site: Directive) -> dict[str, Directive]:
    return {" ".join(d.args): d for d in _https(site).walk() if d.name == "location"}


def _is_staff(directive: Directive) -> bool:
    return any(p.name == "location" and p.args[-1].startswith("/staff/") for p in directive.parents)


def _headers(location: Directive) -> dict[str, str]:
    return {d.args[0].lower(): d.args[1] for d in location.children("proxy_set_header")}


# --- nginx ------------------------------------------------------------------------------------


def test_every_server_turns_its_access_log_off(site: Directive) -> None:
    """Nothing in the site inherits the access log of nginx.conf (Debian's logs every request
    with the client's address): each server turns it off, the HTTP redirect included."""
    for server in _servers(site):
        assert [d.args for d in server.children("access_log")] == [["off"]]


def test_only_staff_pages_are_logged_and_never_with_a_query_string(site: Directive) -> None:
    formats = {d.args[0]: " ".join(d.args[1:]) for d in site.walk() if d.name == "log_format"}
    logged = [d for d in site.walk() if d.name == "access_log" and d.args != ["off"]]
    assert logged, "the staff pages' log is in the example"
    for directive in logged:
        assert _is_staff(directive), f"an access log outside /staff/: {directive.args}"
        fmt = directive.args[1] if len(directive.args) > 1 else "combined"
        assert fmt in formats, f"{fmt} is nginx's own format, with the query string and browser"
    for name, fmt in formats.items():
        assert not QUERY_OR_BROWSER.search(fmt), name
        used_by = [d for d in logged if d.args[1:2] == [name]]
        if not all(_is_staff(d) for d in used_by):
            assert not ADDRESS.search(fmt), name
    # And no respondent location turns a log on for itself.
    for path, location in _locations(site).items():
        if not path.startswith("/staff/"):
            assert all(d.args == ["off"] for d in location.children("access_log")), path


def test_error_logs_keep_only_serious_faults(site: Directive) -> None:
    """nginx's error lines about a request name the client and the request line: the example
    keeps only critical ones (README, "Deploying": logs)."""
    error_logs = [d for d in site.walk() if d.name == "error_log"]
    assert len(error_logs) == len(_servers(site))
    for directive in error_logs:
        assert directive.args[-1] in ("crit", "alert", "emerg"), directive.args


def test_respondents_reach_the_app_without_any_client_address(site: Directive) -> None:
    locations = _locations(site)
    respondents = _headers(locations["/"])
    assert respondents["x-forwarded-for"] == ""  # an empty value removes the header
    assert respondents["x-forwarded-proto"] == "$scheme"
    assert not any(ADDRESS.search(value) for value in respondents.values())
    assert [d.args for d in locations["/"].children("proxy_pass")] == [
        ["http://candour_respondents"]
    ]


def test_staff_requests_carry_the_address_their_sign_in_limits_count(site: Directive) -> None:
    staff = _locations(site)["/staff/"]
    headers = _headers(staff)
    # What nginx saw, not what the sender wrote (SURVEY_PROXY_COUNT=1 takes the last one).
    assert headers["x-forwarded-for"] == "$remote_addr"
    assert headers["x-forwarded-proto"] == "$scheme"
    assert [d.args for d in staff.children("proxy_pass")] == [["http://candour_staff"]]
    assert ProductionConfig.SURVEY_PROXY_COUNT == 1


def test_plain_http_only_redirects_to_https(site: Directive) -> None:
    (plain,) = [s for s in _servers(site) if s is not _https(site)]
    assert [d.args[0] for d in plain.children("listen")] == ["80", "[::]:80"]
    (redirect,) = plain.children("return")
    assert redirect.args[0] == "301" and redirect.args[1].startswith("https://")
    assert not plain.children("location") and not plain.children("proxy_pass")


def test_body_and_header_limits_match_the_app_and_gunicorn(site: Directive) -> None:
    server = _https(site)
    (body,) = server.children("client_max_body_size")
    assert _size(body.args[0]) == Config.MAX_CONTENT_LENGTH
    (buffers,) = server.children("large_client_header_buffers")
    header = _size(buffers.args[1])
    # A draft's cookies (and a few small ones) fit in one header line, which gunicorn takes.
    assert header >= drafts.CHUNK * drafts.MAX_CHUNKS + 2048
    assert header <= gunicorn_conf.limit_request_field_size


def test_pages_are_not_compressed(site: Directive) -> None:
    """Pages hold a CSRF token beside what was typed: compression would let an attacker who
    sees the traffic's size guess the token (BREACH)."""
    assert [d.args for d in _https(site).children("gzip")] == [["off"]]


def test_upstreams_are_the_ports_the_units_bind(site: Directive) -> None:
    upstreams = {
        d.args[0]: [s.args[0] for s in d.children("server")] for d in site.children("upstream")
    }
    for pool, unit in WEB_UNITS.items():
        bind = re.search(r"--bind (\S+)", _unit(unit)["ExecStart"][0])
        assert bind is not None
        assert upstreams[f"candour_{pool}"] == [bind.group(1)], pool


def _nginx() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).exists()), None
    )


def _self_signed(directory: Path) -> tuple[Path, Path]:
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "survey.example.gov.uk")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert, private = directory / "cert.pem", directory / "key.pem"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert, private


def test_nginx_accepts_the_site(tmp_path: Path) -> None:
    binary = _nginx()
    if binary is None:
        pytest.skip("nginx is not installed here, so `nginx -t` cannot check deploy/nginx")
    cert, key = _self_signed(tmp_path)
    (tmp_path / "logs").mkdir()
    text = NGINX.read_text(encoding="utf-8")
    text = text.replace("/etc/ssl/candour/fullchain.pem", str(cert))
    text = text.replace("/etc/ssl/candour/privkey.pem", str(key))
    text = text.replace("/var/log/nginx/", f"{tmp_path}/logs/")
    (tmp_path / "site.conf").write_text(text, encoding="utf-8")
    temp = tmp_path / "temp"
    temp.mkdir()
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/logs/error.log;\nevents {{}}\nhttp {{\n"
        + "".join(
            f"    {kind}_temp_path {temp}/{kind};\n"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        + f"    include {tmp_path}/site.conf;\n}}\n",
        encoding="utf-8",
    )
    checked = subprocess.run(
        [binary, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr


# --- systemd ----------------------------------------------------------------------------------


def _unit(path: Path) -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith(("#", ";", "[")):
            name, value = line.split("=", 1)
            settings.setdefault(name.strip(), []).append(value.strip())
    return settings


@pytest.mark.parametrize("pool", sorted(WEB_UNITS))
def test_web_units_run_gunicorn_with_candours_settings(pool: str) -> None:
    unit = _unit(WEB_UNITS[pool])
    (command,) = unit["ExecStart"]
    assert command.startswith("/srv/candour/.venv/bin/gunicorn ")
    # The settings file is what keeps client addresses out of gunicorn's log.
    assert "--config python:survey_app.gunicorn_conf" in command
    assert "access-log" not in command and "--log-config" not in command
    assert command.endswith("'survey_app.wsgi:build()'")
    assert unit["EnvironmentFile"] == ["/etc/candour/environment"]
    assert unit["User"] == ["candour"] and unit["KillMode"] == ["mixed"]


def test_staff_and_jobs_wait_behind_respondents_for_a_processor() -> None:
    respondents = int(_unit(WEB_UNITS["respondents"]).get("Nice", ["0"])[0])
    assert int(_unit(WEB_UNITS["staff"])["Nice"][0]) > respondents
    assert int(_unit(JOBS_UNIT)["Nice"][0]) > respondents


def test_the_job_worker_unit_lets_a_running_job_end() -> None:
    unit = _unit(JOBS_UNIT)
    assert unit["ExecStart"] == ["/srv/candour/.venv/bin/flask jobs worker"]
    assert unit["EnvironmentFile"] == ["/etc/candour/environment"]
    # SIGTERM to the worker alone (the job finishes), then time for the job to do so.
    assert unit["KillMode"] == ["mixed"]
    assert unit["TimeoutStopSec"] == ["30min"]


def test_the_retention_run_is_the_flask_command() -> None:
    unit = _unit(RETENTION_UNIT)
    assert unit["ExecStart"] == ["/srv/candour/.venv/bin/flask retention apply"]
    assert unit["EnvironmentFile"] == ["/etc/candour/environment"]
    assert unit["Type"] == ["oneshot"]
    assert _unit(UNITS / "candour-retention.timer")["OnCalendar"]


def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    verify = shutil.which("systemd-analyze")
    if verify is None:
        pytest.skip("systemd-analyze is not installed here, so the units are not verified")
    environment = tmp_path / "environment"
    environment.write_text("", encoding="utf-8")
    copies = []
    for unit in sorted(UNITS.iterdir()):
        text = unit.read_text(encoding="utf-8")
        text = text.replace("/srv/candour/.venv/bin/", f"{ROOT}/.venv/bin/")
        text = text.replace("/srv/candour", str(tmp_path))
        text = text.replace("/etc/candour/environment", str(environment))
        copy = tmp_path / unit.name
        copy.write_text(text, encoding="utf-8")
        copies.append(str(copy))
    if not (ROOT / ".venv" / "bin" / "gunicorn").exists():
        pytest.skip("no .venv/bin/gunicorn to stand in for /srv/candour/.venv/bin/gunicorn")
    checked = subprocess.run(
        [verify, "verify", *copies], capture_output=True, text=True, timeout=60, check=False
    )
    # Unknown keys and bad values are only warnings: any output at all is a failure here.
    assert checked.returncode == 0 and not checked.stderr.strip(), checked.stderr


# --- the environment file ---------------------------------------------------------------------


def _settings_config_reads() -> set[str]:
    """Every environment variable config.py reads: the names written in the functions that
    take the environment (Config.__init__ and load_config)."""
    tree = ast.parse((ROOT / "config.py").read_text(encoding="utf-8"))
    readers: list[ast.AST] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == "load_config":
            readers.append(node)
        if isinstance(node, ast.ClassDef) and node.name == "Config":
            readers.extend(n for n in node.body if isinstance(n, ast.FunctionDef))
    return {
        node.value
        for reader in readers
        for node in ast.walk(reader)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and re.fullmatch(r"[A-Z][A-Z0-9_]+", node.value)
    }


def _example(*, commented: bool = False) -> dict[str, str]:
    """The example's NAME=value lines (with ``commented``, the ``#NAME=value`` ones too)."""
    pattern = re.compile(r"(#?)([A-Z][A-Z0-9_]*)=(.*)")
    found = {}
    for line in ENVIRONMENT.read_text(encoding="utf-8").splitlines():
        match = pattern.fullmatch(line.strip())
        if match and (commented or not match.group(1)):
            found[match.group(2)] = match.group(3).strip('"')
    return found


def _filled(tmp_path: Path, **changes: str) -> dict[str, str]:
    """The example as an administrator would finish it."""
    env = _example()
    env["SECRET_KEY"] = secrets.token_urlsafe(48)
    env["SURVEY_DATA_KEYS"] = generate_key_spec("k1")
    env["SURVEY_CODE_SECRET"] = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    env["SURVEY_NOTICES_FILE"] = filled_notices(tmp_path / "notices")
    env.update(changes)
    return env


def test_the_example_names_only_settings_config_reads() -> None:
    known = _settings_config_reads()
    assert {"SURVEY_ENV", "DATABASE_URL", "REDIS_URL", "SECRET_KEY"} <= known  # the scan works
    for name in _example(commented=True):
        # FLASK_APP is read by the `flask` command itself.
        assert name in known or name == "FLASK_APP", f"config.py never reads {name}"


def test_the_example_is_production_once_its_placeholders_are_replaced(tmp_path: Path) -> None:
    env = _filled(tmp_path)
    config = load_config(env)
    assert isinstance(config, ProductionConfig)
    assert config.SURVEY_DATABASE_URL.startswith("postgresql+psycopg://")
    assert env["REDIS_URL"] == config.RATELIMIT_STORAGE_URI
    assert config.SURVEY_JOBS == "queue"
    assert env["FLASK_APP"] == "survey_app.wsgi:build()"


@pytest.mark.parametrize("name", ["SECRET_KEY", "SURVEY_DATA_KEYS", "SURVEY_CODE_SECRET"])
def test_production_refuses_each_placeholder_secret(tmp_path: Path, name: str) -> None:
    assert _example()[name] == PLACEHOLDER
    with pytest.raises(ConfigError, match=name):
        load_config(_filled(tmp_path, **{name: PLACEHOLDER}))


def test_production_refuses_notices_that_are_not_there_yet(tmp_path: Path) -> None:
    path = _example()["SURVEY_NOTICES_FILE"]
    if Path(path).exists():
        pytest.skip(f"{path} exists on this machine")
    with pytest.raises(ConfigError, match="SURVEY_NOTICES_FILE"):
        load_config(_filled(tmp_path, SURVEY_NOTICES_FILE=path))


def test_a_shell_reads_the_example_as_systemd_does() -> None:
    """`set -a; . /etc/candour/environment` in a shell gives the same values (quotes removed)."""
    shown = subprocess.run(
        ["sh", "-c", 'set -a; . "$0"; printf "%s\\n" "$FLASK_APP" "$SURVEY_ENV"', str(ENVIRONMENT)],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert shown.stdout.splitlines() == ["survey_app.wsgi:build()", "production"]


# --- README -----------------------------------------------------------------------------------


def test_readme_names_only_deploy_files_that_exist() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    named = set(re.findall(r"deploy/[\w./@*-]+[\w@*]", readme))
    assert {"deploy/nginx/candour.conf", "deploy/environment.example"} <= named
    for path in named:  # a pattern such as deploy/systemd/candour-*.service matches something
        assert list(ROOT.glob(path)), path
    for unit in UNITS.iterdir():
        assert f"deploy/systemd/{unit.name}" in named, unit.name
