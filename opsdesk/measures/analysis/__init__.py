"""Process analysis from the incident history (issue 8): where the time goes and where
incidents bounce.

- `cohort`: the filters, who may analyse (process owners, incident managers, administrators),
  and the history of the incidents registered in the period, streamed in chunks;
- `timeline`: one incident's history as spells (status, group, pending reason), each measured
  in wall and business time, with who held it and whether the resolution clock ran;
- `report`: the analysis of a cohort (time per status, group, line and holder with mean,
  median, p90 and total; hand-offs; ping-pong; paths; the flows of the Sankey graphs);
- `records`: the incidents behind any one number;
- `findings`: the biggest contributors in plain sentences.
"""

from .cohort import (DEFAULT_DAYS, MAX_DAYS, AnalysisFilters, analysis_filters,
                     check_may_analyse, flow_of, may_analyse)
from .figures import Stats, share, stats_of
from .findings import Finding, findings
from .records import FIGURES, Records, analysis_records
from .report import (MAX_FLOW_STEPS, PATH_SEPARATOR, Analysis, FlowLink, PathRow, TimeRow,
                     analysis_build, holder_line, line_of)
from .timeline import NO_GROUP, Holder, IncidentFlow, Spell

__all__ = [
    "DEFAULT_DAYS", "FIGURES", "MAX_DAYS", "MAX_FLOW_STEPS", "NO_GROUP", "PATH_SEPARATOR",
    "Analysis", "AnalysisFilters", "Finding", "FlowLink", "Holder", "IncidentFlow", "PathRow",
    "Records", "Spell", "Stats", "TimeRow", "analysis_build", "analysis_filters",
    "analysis_records", "check_may_analyse", "findings", "flow_of", "holder_line", "line_of",
    "may_analyse", "share", "stats_of",
]
