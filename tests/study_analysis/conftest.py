"""The small study of :mod:`tests.study_analysis.study_setup`, built once per test on each engine."""

from __future__ import annotations

import pytest

from tests.conftest import StudySetup
from tests.study_analysis.study_setup import SmallStudy, build_small_study


@pytest.fixture
def small(study: StudySetup) -> SmallStudy:
    """The small study (five people screened at GZ01), built through the services."""
    return build_small_study(study)
