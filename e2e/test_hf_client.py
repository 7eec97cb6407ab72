"""The real huggingface_hub client, pointed at our server, works unchanged: with HF_ENDPOINT
(in a fresh interpreter, as the client reads it when imported) and with `HfApi(endpoint=)`."""
import datetime
import os
import subprocess
import sys

import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError

from conftest import needs_data

pytestmark = needs_data


@pytest.fixture(scope="module")
def api(server):
    api = HfApi(endpoint=server)
    assert api.endpoint == server
    return api


def test_hf_endpoint_from_the_environment(server):
    script = ("from huggingface_hub import HfApi; api = HfApi(); "
              "print(api.endpoint); print(api.paper_info('2505.24864').title)")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "HF_ENDPOINT": server})
    assert result.returncode == 0, result.stderr
    endpoint, title = result.stdout.splitlines()[:2]
    assert endpoint == server
    assert title.startswith("ProRL: Prolonged Reinforcement Learning Expands Reasoning Boundaries")


def test_list_daily_papers_by_date(api):
    papers = list(api.list_daily_papers(date="2025-06-02"))
    assert len(papers) == 20
    first = papers[0]
    assert first.id == "2505.24864"
    assert first.title.startswith("ProRL: Prolonged Reinforcement Learning Expands Reasoning Boundaries")
    assert [a.name for a in first.authors][:2] == ["Mingjie Liu", "Shizhe Diao"]
    assert first.upvotes == 35
    assert first.submitted_at.date() == datetime.date(2025, 6, 2)
    assert first.submitted_by.username == "shizhediao"
    assert first.published_at.date() == datetime.date(2025, 5, 30)
    assert [p.upvotes for p in papers] == sorted((p.upvotes for p in papers), reverse=True)


def test_week_month_submitter_and_paging(api):
    week = list(api.list_daily_papers(week="2025-W23", limit=100))
    assert "2505.24864" in {p.id for p in week}
    assert all(datetime.date(2025, 6, 2) <= p.submitted_at.date() <= datetime.date(2025, 6, 8) for p in week)
    month = list(api.list_daily_papers(month="2025-06", limit=100))
    assert len(month) == 100
    assert all(p.submitted_at.date().month == 6 for p in month)
    mine = list(api.list_daily_papers(submitter="shizhediao", limit=100))
    assert mine and all(p.submitted_by.username == "shizhediao" for p in mine)
    whole = list(api.list_daily_papers(date="2025-06-02", limit=20))
    page = list(api.list_daily_papers(date="2025-06-02", limit=5, p=1))
    assert [p.id for p in page] == [p.id for p in whole[5:10]]
    assert list(api.list_daily_papers(date="2025-06-02", limit=5, p=100)) == []
    trending = list(api.list_daily_papers(sort="trending", limit=10))
    assert len(trending) == 10


def test_list_papers_search(api):
    papers = list(api.list_papers(query="ProRL prolonged reinforcement"))
    assert papers[0].id == "2505.24864"
    assert all(p.title for p in papers)


def test_paper_info_and_read_paper(api):
    info = api.paper_info("2505.24864")
    assert info.id == "2505.24864"
    assert info.title.startswith("ProRL")
    assert info.upvotes == 35
    assert len(info.authors) == 8
    text = api.read_paper("2505.24864")
    assert text.startswith("# ProRL")
    assert "Mingjie Liu" in text


def test_errors(api):
    with pytest.raises(HfHubHTTPError) as bad_date:
        list(api.list_daily_papers(date="2025-02-30"))
    assert bad_date.value.response.status_code == 400
    assert "date" in bad_date.value.response.json()["error"]
    with pytest.raises(HfHubHTTPError) as missing:
        api.paper_info("2512.99999")
    assert missing.value.response.status_code == 404
