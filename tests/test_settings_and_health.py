import os
import socket
import subprocess
import sys

import pytest
from django.db import OperationalError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_settings(**env):
    """Import hedge.settings in a fresh interpreter with exactly these variables."""
    clean = {"PATH": os.environ["PATH"], "HEDGE_ENV_FILE": "", **env}
    return subprocess.run(
        [sys.executable, "-c", "import hedge.settings"], cwd=ROOT, env=clean, capture_output=True, text=True
    )


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DEBUG": "maybe"}, "DEBUG must be a boolean"),
        ({"DEBUG": "true", "DATABASE_URL": "mysql://x/y"}, "DATABASE_URL must be a sqlite:/// or postgres:// URL"),
        ({"DEBUG": "true", "CONN_MAX_AGE": "soon"}, "CONN_MAX_AGE must be an integer"),
        ({"DEBUG": "true", "CONN_HEALTH_CHECKS": "2"}, "CONN_HEALTH_CHECKS must be a boolean"),
        ({"DEBUG": "true", "LEADERBOARD_TIMEZONE": "Mars/Olympus"}, "LEADERBOARD_TIMEZONE must be an IANA time zone"),
        ({}, "SECRET_KEY must be set when DEBUG is off"),
        ({"DEBUG": "true", "DATABASE_CONNECT_TIMEOUT": "0"}, "DATABASE_CONNECT_TIMEOUT must be >= 1"),
        ({"DEBUG": "true", "API_STATEMENT_TIMEOUT": "2s"}, "API_STATEMENT_TIMEOUT must be an integer"),
        ({"DEBUG": "true", "API_THROTTLE_RATE": "600"}, "API_THROTTLE_RATE must be a rate such as 600/minute"),
        ({"DEBUG": "true", "API_THROTTLE_EXEMPT_IPS": "10.0.0.300"}, "API_THROTTLE_EXEMPT_IPS must list IP addresses"),
        ({"DEBUG": "true", "NUM_PROXIES": "-1"}, "NUM_PROXIES must be >= 0"),
        ({"DEBUG": "true", "ADMIN_LOGIN_FAILURE_LIMIT": "0"}, "ADMIN_LOGIN_FAILURE_LIMIT must be >= 1"),
        (
            {"DEBUG": "true", "ADMIN_LOGIN_FAILURE_LIMIT": "5", "ADMIN_LOGIN_IP_FAILURE_LIMIT": "3"},
            "ADMIN_LOGIN_IP_FAILURE_LIMIT must be >= 5",
        ),
    ],
)
def test_malformed_environment_stops_start_up_naming_the_variable(env, named):
    result = load_settings(**env)

    assert result.returncode != 0
    assert named in result.stderr


def test_an_env_file_is_read_where_hedge_env_file_names_it_and_none_when_empty(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text("DEBUG=true\n")

    assert load_settings(HEDGE_ENV_FILE=str(dotenv)).returncode == 0
    assert "SECRET_KEY must be set" in load_settings().stderr  # HEDGE_ENV_FILE="": nothing read


def test_the_test_settings_ignore_a_developers_env_file_and_exported_debug(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text("DEBUG=true\nSECRET_KEY=\n")
    code = "import tests.settings as s; print(s.DEBUG, s.SECURE_SSL_REDIRECT)"

    assert run_python("-c", code, DEBUG="true", HEDGE_ENV_FILE=str(dotenv)).stdout.split() == ["False", "False"]


def test_debug_with_defaults_starts():
    assert load_settings(DEBUG="true").returncode == 0


def test_healthz_answers_200_when_the_database_answers(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "up", "cache": "up"}


def database_settings(**env):
    code = (
        "import hedge.settings as s; d = s.DATABASES['default']; "
        "print(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'], d.get('OPTIONS', {}).get('connect_timeout'))"
    )
    return run_python("-c", code, DATABASE_URL="postgres://hedge@db:5432/hedge", **env).stdout.split()


def test_production_reuses_database_connections_and_checks_them_first():
    production = database_settings(DEBUG="false", SECRET_KEY="x" * 50)
    development = database_settings()

    assert production == ["60", "True", "3"]
    assert development == ["0", "False", "3"]  # the development server opens a connection per request thread
    assert database_settings(CONN_MAX_AGE="0", CONN_HEALTH_CHECKS="false", DATABASE_CONNECT_TIMEOUT="5") == [
        "0",
        "False",
        "5",
    ]


def test_production_waits_a_tenth_of_a_second_for_redis_at_most():
    code = (
        "import hedge.settings as s; o = s.CACHES['default']['OPTIONS']; "
        "print(o['socket_connect_timeout'], o['socket_timeout'])"
    )
    production = run_python("-c", code, CACHE_URL="redis://cache:6379/1", DEBUG="false", SECRET_KEY="x" * 50)

    assert production.stdout.split() == ["0.1", "0.1"]


@pytest.mark.parametrize("path", ["/healthz", "/healthz/"])
def test_healthz_answers_a_load_balancer_probing_by_ip_over_plain_http(client, db, settings, path):
    settings.ALLOWED_HOSTS = ["hedge.example.com"]
    settings.SECURE_SSL_REDIRECT = True

    response = client.get(path, HTTP_HOST="10.0.0.5:8000")

    assert response.status_code == 200
    assert client.get("/leaderboards", HTTP_HOST="10.0.0.5:8000").status_code == 400


def test_healthz_answers_503_when_the_database_does_not(client, db, monkeypatch):
    from django.db import connection

    def down():
        raise OperationalError("connection refused")

    with monkeypatch.context() as patched:
        patched.setattr(connection, "cursor", down)
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["database"] == "down"


def test_manage_py_reports_a_bad_setting_in_one_line():
    clean = {"PATH": os.environ["PATH"], "DEBUG": "maybe"}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=clean, capture_output=True, text=True)

    assert result.returncode == 1
    assert result.stderr.strip() == "hedge: DEBUG must be a boolean (true/false, 1/0, yes/no, on/off), got 'maybe'"


def test_manage_py_reports_a_database_that_is_down_without_a_traceback():
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]  # closed once the block ends: nothing listens there

    result = run_python("manage.py", "compute_season_points", DATABASE_URL=f"postgres://hedge@127.0.0.1:{port}/hedge")

    assert result.returncode == 1
    assert result.stderr.startswith("hedge: the database failed (OperationalError): connection failed: ")
    assert "Traceback" not in result.stderr


def test_production_notices_a_dead_database_host_under_an_open_connection_in_seconds():
    code = "import hedge.settings as s; print(sorted(s.DATABASES['default']['OPTIONS'].items()))"
    production = run_python(
        "-c", code, DATABASE_URL="postgres://hedge@db:5432/hedge", DEBUG="false", SECRET_KEY="x" * 50
    )

    assert production.stdout.strip() == str(
        [
            ("connect_timeout", 3),
            ("keepalives", 1),
            ("keepalives_count", 3),
            ("keepalives_idle", 10),
            ("keepalives_interval", 2),
            ("tcp_user_timeout", 5000),
        ]
    )


def run_python(*args, **env):
    clean = {"PATH": os.environ["PATH"], "HEDGE_ENV_FILE": "", "DEBUG": "true", **env}
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=clean, capture_output=True, text=True)  # noqa: S603


def test_production_settings_do_not_install_the_benchmark():
    result = run_python("-c", "import hedge.settings as s; print(*s.INSTALLED_APPS, sep='\\n')")

    apps = result.stdout.split()
    assert "leaderboards" in apps
    assert not [app for app in apps if app.split(".")[0] == "bench" or app.startswith("hedge.bench")]


def test_the_demo_app_is_installed_by_the_development_settings_only_while_debug_is_on():
    listing = "import django.conf as c; print(*c.settings.INSTALLED_APPS, sep='\\n')"
    production = run_python("-c", listing, DJANGO_SETTINGS_MODULE="hedge.settings")
    development = run_python("-c", listing, DJANGO_SETTINGS_MODULE="hedge.demo.settings")
    debug_off = run_python("-c", listing, DJANGO_SETTINGS_MODULE="hedge.demo.settings", DEBUG="false", SECRET_KEY="x")

    assert production.returncode == development.returncode == debug_off.returncode == 0
    assert "hedge.demo" not in production.stdout.split()
    assert "hedge.demo" in development.stdout.split()
    assert debug_off.stdout.split() == production.stdout.split()


def test_quickstart_is_a_command_of_manage_py_in_development_only():
    development = run_python("manage.py", "help", "--commands")  # DEBUG=true, manage.py's own settings
    production = run_python("manage.py", "help", "--commands", DEBUG="false", SECRET_KEY="x")
    served = run_python("manage.py", "help", "--commands", DJANGO_SETTINGS_MODULE="hedge.settings")

    assert development.returncode == production.returncode == served.returncode == 0
    assert "quickstart" in development.stdout.split()
    assert "quickstart" not in production.stdout.split()
    assert "quickstart" not in served.stdout.split()


def test_the_bench_command_exists_only_under_the_bench_settings():
    production = run_python("manage.py", "help", "--commands")
    benchmark = run_python("manage.py", "help", "--commands", DJANGO_SETTINGS_MODULE="bench.settings")
    # `python -m bench` picks its settings itself, whatever the environment names.
    module = run_python("-m", "bench", "--help", DJANGO_SETTINGS_MODULE="hedge.settings")

    assert production.returncode == benchmark.returncode == module.returncode == 0
    assert "bench" not in production.stdout.split()
    assert "bench" in benchmark.stdout.split()
    assert "--clusters" in module.stdout
