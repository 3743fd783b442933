"""Post titles in registry files: a title column (or an export's 视频标题 / 笔记标题) reaches the
post's registry message, on one line; a file without one gives none (it was read and dropped)."""

from __future__ import annotations

from pathlib import Path

from tracker.contracts import encode
from tracker.contracts.topics import POSTS
from tracker.registry.importer import parse
from tracker.registry.records import Options

OPTS = Options(version=1_758_000_000_000, tenant="acme", campaign="launch")


def test_a_title_column_and_an_exports_title_header_are_kept(tmp_path: Path) -> None:
    plain, export = tmp_path / "posts.csv", tmp_path / "xingtu.csv"
    plain.write_text("creator,followers,platform,post,published_at,fee,title\n"
                     "cr-1,12000,douyin,7301234567890123401,2025-09-10T12:00:00+08:00,1000,\"夏日防晒\n3 款实测\"\n"
                     "cr-2,12000,douyin,7301234567890123402,2025-09-10T12:00:00+08:00,1000,\n", encoding="utf-8")
    export.write_text("creator,followers,platform,post,published_at,fee,视频标题\n"
                      "cr-1,12000,douyin,7301234567890123403,2025-09-10T12:00:00+08:00,1000,油皮精华｜实测一个月\n",
                      encoding="utf-8")
    reg = parse(plain, OPTS)
    assert not reg.problems
    assert [m["title"] for m in reg.posts] == ["夏日防晒 3 款实测", None]
    assert [m["title"] for m in parse(export, OPTS).posts] == ["油皮精华｜实测一个月"]
    encode(POSTS, reg.posts[0])  # the contract takes it


def test_a_title_longer_than_the_contract_allows_is_cut(tmp_path: Path) -> None:
    path = tmp_path / "posts.csv"
    path.write_text("creator,followers,platform,post,published_at,fee,title\n"
                    f"cr-1,12000,douyin,7301234567890123401,2025-09-10T12:00:00+08:00,1000,{'长' * 1500}\n",
                    encoding="utf-8")
    reg = parse(path, OPTS)
    assert not reg.problems and reg.posts[0]["title"] == "长" * 1000
    encode(POSTS, reg.posts[0])
