import json

import pytest

from queues.platforms import credentials
from queues.platforms.credentials import CredentialsError

X_SECRETS = {"consumer_key": "ck", "consumer_secret": "cs", "access_token": "at", "access_token_secret": "ats"}
SERVICE_ACCOUNT = {"type": "service_account", "client_email": "r@p.iam", "private_key": "pem", "token_uri": "http://t"}


def write(path, data):
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def refusal(path) -> str:
    with pytest.raises(CredentialsError) as caught:
        credentials.load(path)
    return str(caught.value)


def test_each_channel_gets_its_own_secrets_and_a_channel_not_in_the_file_gets_none(tmp_path):
    write(tmp_path / "play.json", SERVICE_ACCOUNT)
    path = write(
        tmp_path / "credentials.json",
        {
            "x:@FirefoxSupport": {**X_SECRETS, "bearer_token": "bt"},
            "google_play:org.mozilla.firefox": {"service_account_file": "play.json"},
            "facebook:Firefox": {"page_id": "1", "page_access_token": "pat"},
        },
    )

    loaded = credentials.load(path)

    assert loaded.for_channel("x", "@FirefoxSupport") == {**X_SECRETS, "bearer_token": "bt"}
    assert loaded.for_channel("facebook", "Firefox") == {"page_id": "1", "page_access_token": "pat"}
    # A relative service-account path is read from the credentials file's folder.
    assert loaded.for_channel("google_play", "org.mozilla.firefox") == {
        "service_account_file": str(tmp_path / "play.json")
    }
    assert loaded.for_channel("x", "@MozillaSupport") is None
    assert loaded.for_channel("facebook", "@FirefoxSupport") is None


def test_changing_the_returned_secrets_does_not_change_the_loaded_credentials(tmp_path):
    loaded = credentials.load(write(tmp_path / "c.json", {"x:@a": X_SECRETS}))

    loaded.for_channel("x", "@a")["consumer_key"] = "changed"

    assert loaded.for_channel("x", "@a")["consumer_key"] == "ck"


def test_a_missing_file_is_named(tmp_path):
    message = refusal(tmp_path / "nowhere.json")

    assert message == f"Platform credentials file {tmp_path / 'nowhere.json'} does not exist."


def test_a_file_that_cannot_be_read_is_named_with_the_reason(tmp_path):
    (tmp_path / "folder.json").mkdir()

    message = refusal(tmp_path / "folder.json")

    assert message.startswith(f"Platform credentials file {tmp_path / 'folder.json'} cannot be read: ")
    assert "directory" in message


def test_a_file_that_is_not_json_says_where_it_goes_wrong(tmp_path):
    path = write(tmp_path / "c.json", '{"x:@a": {"consumer_key": "ck",}}')

    message = refusal(path)

    assert message.startswith(f"Platform credentials file {path} is not valid JSON: ")
    assert "line 1 column" in message


def test_a_file_that_holds_a_list_instead_of_an_object_is_refused(tmp_path):
    path = write(tmp_path / "c.json", [X_SECRETS])

    assert refusal(path) == (
        f'Platform credentials file {path} must hold a JSON object mapping "<platform>:<account>" to secrets.'
    )


def test_every_problem_in_the_file_is_named_at_once(tmp_path):
    secrets = dict(X_SECRETS)
    del secrets["access_token_secret"]
    path = write(
        tmp_path / "c.json",
        {
            "x:@FirefoxSupport": secrets,
            "facebook:Firefox": {"page_id": 1000, "page_access_token": " "},
            "google_play:org.mozilla.firefox": "play.json",
        },
    )

    message = refusal(path)

    assert message == (
        f'Platform credentials file {path}: "x:@FirefoxSupport" lacks access_token_secret. '
        '"facebook:Firefox": page_access_token must be a non-empty string. '
        '"facebook:Firefox": page_id must be a non-empty string. '
        '"google_play:org.mozilla.firefox" must map to an object of secrets.'
    )


def test_a_misspelt_key_is_refused_rather_than_silently_ignored(tmp_path):
    path = write(tmp_path / "c.json", {"x:@a": {**X_SECRETS, "bearer_tokn": "bt"}})

    assert refusal(path) == f'Platform credentials file {path}: "x:@a" has an unexpected key bearer_tokn.'


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("@FirefoxSupport", '"@FirefoxSupport" is not "<platform>:<account>".'),
        ("x:", '"x:" is not "<platform>:<account>".'),
        ("twitter:@a", '"twitter:@a": unknown platform "twitter" (expected one of x, google_play, facebook).'),
    ],
)
def test_a_name_that_is_not_a_known_platform_and_an_account_is_refused(tmp_path, name, problem):
    path = write(tmp_path / "c.json", {name: X_SECRETS})

    assert refusal(path) == f"Platform credentials file {path}: {problem}"


def test_a_service_account_file_that_does_not_exist_is_named(tmp_path):
    path = write(tmp_path / "c.json", {"google_play:org.mozilla.firefox": {"service_account_file": "sa.json"}})

    assert refusal(path) == (
        f'Platform credentials file {path}: "google_play:org.mozilla.firefox": '
        f"service account file {tmp_path / 'sa.json'} does not exist."
    )


def test_a_service_account_file_without_a_key_is_named(tmp_path):
    write(tmp_path / "sa.json", {"type": "service_account", "client_email": "r@p.iam"})
    path = write(tmp_path / "c.json", {"google_play:org.mozilla.firefox": {"service_account_file": "sa.json"}})

    assert refusal(path) == (
        f'Platform credentials file {path}: "google_play:org.mozilla.firefox": '
        f"service account file {tmp_path / 'sa.json'} lacks private_key, token_uri."
    )


def test_a_service_account_file_that_is_not_json_is_named(tmp_path):
    write(tmp_path / "sa.json", "-----BEGIN PRIVATE KEY-----")
    path = write(tmp_path / "c.json", {"google_play:org.mozilla.firefox": {"service_account_file": "sa.json"}})

    message = refusal(path)

    assert f"service account file {tmp_path / 'sa.json'} is not valid JSON" in message


def test_without_a_configured_file_no_channel_has_credentials(settings):
    settings.PLATFORM_CREDENTIALS_FILE = ""

    assert credentials.load_configured().for_channel("x", "@FirefoxSupport") is None


def test_the_configured_file_is_the_one_loaded(settings, tmp_path):
    settings.PLATFORM_CREDENTIALS_FILE = str(write(tmp_path / "c.json", {"x:@FirefoxSupport": X_SECRETS}))

    assert credentials.load_configured().for_channel("x", "@FirefoxSupport") == X_SECRETS


def test_a_configured_file_that_is_missing_is_an_error_not_an_empty_set(settings, tmp_path):
    settings.PLATFORM_CREDENTIALS_FILE = str(tmp_path / "gone.json")

    with pytest.raises(CredentialsError, match="gone.json does not exist"):
        credentials.load_configured()
