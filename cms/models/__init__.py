from .pages import (
    HomePage,
    NewsIndexPage,
    NewsPage,
    ProjectIndexPage,
    ProjectPage,
    ResultsPage,
    StandardPage,
)

__all__ = [
    "HomePage",
    "NewsIndexPage",
    "NewsPage",
    "ProjectIndexPage",
    "ProjectPage",
    "ResultsPage",
    "StandardPage",
]
