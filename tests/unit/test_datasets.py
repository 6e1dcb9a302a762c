from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pathwise.datasets import TIDY_COLUMNS, DatasetError, digest, load_sample, sample_path
from pipelines.datasets import KTFormat, detect_format, read_kt


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_pybkt_csv(tmp_path: Path) -> None:
    path = _write(tmp_path, "b.csv", "user_id,skill_name,correct\n1,7,1\n2,8,0\n1,7,0\n")
    frame = read_kt(path)
    assert frame.attrs["format"] == KTFormat.PYBKT_CSV
    assert list(frame.columns) == TIDY_COLUMNS
    assert frame[frame.user_id == "1"]["seq"].tolist() == [0, 1]
    assert frame["correct"].tolist() == [1, 0, 0]
    assert frame["item_id"].isna().all()


def test_four_line_keeps_items_and_continues_seq_across_split_sequences(tmp_path: Path) -> None:
    text = "0,55\n10,11,12\n1,1,2\n1,0,1\n1,66\n20\n3\n0\n2,55\n13\n2\n1\n"
    frame = read_kt(_write(tmp_path, "q.csv", text))
    assert frame.attrs["format"] == KTFormat.FOUR_LINE
    learner = frame[frame.user_id == "55"]
    assert learner["item_id"].tolist() == ["10", "11", "12", "13"]
    assert learner["seq"].tolist() == [0, 1, 2, 3]
    assert frame[frame.user_id == "66"]["skill_id"].tolist() == ["3"]


def test_three_line(tmp_path: Path) -> None:
    frame = read_kt(_write(tmp_path, "s.csv", "3\n1,1,2\n0,1,1\n2\n5,5\n1,1\n"))
    assert frame.attrs["format"] == KTFormat.THREE_LINE
    assert frame["user_id"].tolist() == ["0", "0", "0", "1", "1"]
    assert frame["skill_id"].tolist() == ["1", "1", "2", "5", "5"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "file is empty"),
        ("hello,world\nfoo\n", "not a known knowledge-tracing format"),
        ("3\n1,1,2\n0,1,1\n2\n5,5,5\n1,1,1\n", "sequence lengths disagree"),
        ("2\n1,1\n0,2\n", "responses must be 0 or 1"),
        ("2\n1,x\n0,1\n", "expected comma-separated integers"),
        ("user_id,skill_name,correct\n1,7,yes\n", "b.csv:2: correct must be 0 or 1"),
    ],
)
def test_malformed_files_name_the_problem(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(DatasetError, match=message):
        read_kt(_write(tmp_path, "b.csv", text))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="no such file"):
        read_kt(tmp_path / "absent.csv")


def test_bundled_sample_is_small_and_tidy() -> None:
    assert sample_path().stat().st_size <= 2 * 1024 * 1024
    sample = load_sample()
    assert set(TIDY_COLUMNS) <= set(sample.columns)
    assert set(sample["split"]) == {"train", "valid", "test"}
    # Learners never cross splits: the published protocol splits by learner.
    assert sample.groupby("user_id")["split"].nunique().max() == 1
    assert sample["item_id"].notna().all()


def test_digest_is_stable_and_content_sensitive() -> None:
    frame = pd.DataFrame(
        {"user_id": ["1", "1"], "skill_id": ["a", "b"], "item_id": ["x", "y"], "correct": [1, 0], "seq": [0, 1]}
    )
    assert digest(frame) == digest(frame.copy())
    changed = frame.copy()
    changed.loc[1, "correct"] = 1
    assert digest(changed) != digest(frame)


def test_shared_assist2009_piech_split(shared_data: Path) -> None:
    train = read_kt(shared_data / "kt/assist2009/builder_train_preprocessed.csv")
    assert len(train) == 407_967
    assert train["skill_id"].nunique() == 123


def test_shared_formats_are_detected(shared_data: Path) -> None:
    assert detect_format(shared_data / "kt/assist2009_pid/train1.csv") is KTFormat.FOUR_LINE
    assert detect_format(shared_data / "kt/assist2015/train.csv") is KTFormat.THREE_LINE
    assert len(read_kt(shared_data / "kt/assist2015/test.csv")["user_id"].unique()) == 5_905
