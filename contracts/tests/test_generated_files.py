"""The committed JSON Schemas and AsyncAPI document match the models."""

import json
from pathlib import Path

from reach_contracts import DEAD_LETTER_HEADERS, DEAD_LETTER_TOPIC, TOPICS
from reach_contracts.generate import main, render, stale_files, write_files


def test_committed_generated_files_are_fresh() -> None:
    stale = stale_files()
    assert not stale, f"stale generated files (run `reach-contracts`): {', '.join(stale)}"


def test_generation_is_deterministic() -> None:
    assert render() == render()


def test_check_lists_missing_files_and_writes_nothing(tmp_path: Path, capsys) -> None:
    assert main(["--check", "--root", str(tmp_path)]) == 1

    assert "stale: asyncapi.json" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_writing_brings_a_directory_up_to_date_and_removes_schemas_no_longer_generated(
    tmp_path: Path,
) -> None:
    orphan = tmp_path / "schemas" / "trading.gone.v1" / "gone.event.json"
    orphan.parent.mkdir(parents=True)
    orphan.write_text("{}\n")

    write_files(tmp_path)

    assert not orphan.parent.exists()
    assert stale_files(tmp_path) == []
    assert main(["--check", "--root", str(tmp_path)]) == 0


def test_a_hand_edited_schema_is_reported_stale(tmp_path: Path) -> None:
    write_files(tmp_path)
    edited = tmp_path / "schemas" / "trading.trades.v1" / "trade.executed.json"
    edited.write_text(edited.read_text() + " ")

    assert stale_files(tmp_path) == ["schemas/trading.trades.v1/trade.executed.json"]


def test_asyncapi_has_a_channel_per_topic_addressed_by_its_name_and_keyed_by_client_id() -> None:
    document = json.loads(render()["asyncapi.json"])

    assert document["asyncapi"] == "3.0.0"
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert addresses == {*TOPICS, DEAD_LETTER_TOPIC}
    for topic in TOPICS.values():
        for event in topic.events:
            message = document["components"]["messages"][event.__name__]
            assert message["contentType"] == "application/json"
            assert message["bindings"]["kafka"]["key"]["type"] == "string"
    assert all(operation["action"] == "send" for operation in document["operations"].values())


def test_asyncapi_documents_the_dead_letter_headers() -> None:
    document = json.loads(render()["asyncapi.json"])
    headers = document["components"]["messages"]["DeadLetter"]["headers"]

    assert set(headers["properties"]) == set(DEAD_LETTER_HEADERS)
    assert set(headers["required"]) == set(DEAD_LETTER_HEADERS)
