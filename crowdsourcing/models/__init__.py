from .imports import (
    CommentPlacement,
    ImportedComment,
    ImportedProposal,
    ImportSource,
)
from .projects import (
    Category,
    Department,
    District,
    Project,
    ProjectStage,
    Question,
    StageKind,
)
from .proposals import (
    Comment,
    CommentState,
    Flag,
    ModerationAction,
    ModerationDecision,
    ModerationReason,
    Proposal,
    ProposalState,
    Rating,
)
from .users import User

__all__ = [
    "Category",
    "Comment",
    "CommentPlacement",
    "CommentState",
    "Department",
    "District",
    "Flag",
    "ImportSource",
    "ImportedComment",
    "ImportedProposal",
    "ModerationAction",
    "ModerationDecision",
    "ModerationReason",
    "Project",
    "ProjectStage",
    "Proposal",
    "ProposalState",
    "Question",
    "Rating",
    "StageKind",
    "User",
]
