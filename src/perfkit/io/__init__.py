"""Reading and writing perfkit data: HRIS imports, the policy file, result exports.

* HRIS imports: :func:`load_dataset` reads a directory of CSV files (or one JSON document) into a
  :class:`~perfkit.dataset.CycleData`, reporting every bad row at once
  (:class:`DataImportError`, :class:`ImportProblem`); :func:`write_dataset` writes one back.
* The policy file: :func:`load_policy` reads a whole :class:`~perfkit.run.CyclePolicy` from
  TOML (errors name the key path); :func:`dump_policy` writes one.
* Result exports: :func:`write_results` writes a cycle result as JSON, CSV and a
  self-contained HTML report (:func:`result_json`, :func:`result_csv_files`,
  :func:`result_html`).
"""

from ._export import (
    ADJUSTMENT_COLUMNS,
    DISTRIBUTION_COLUMNS,
    EMPLOYEE_COLUMNS,
    FORMATS,
    POOL_COLUMNS,
    result_csv,
    result_csv_files,
    result_json,
    write_results,
)
from ._hris import load_dataset, write_dataset
from ._hris_model import (
    DataImportError,
    ImportProblem,
    ImportResult,
    RecordKind,
    SkippedRecord,
)
from ._html import CONTENT_SECURITY_POLICY, MAX_RATERS_SHOWN, result_html
from ._policy import dump_policy, load_policy, policy_from_mapping, policy_to_mapping

__all__ = [
    "ADJUSTMENT_COLUMNS",
    "CONTENT_SECURITY_POLICY",
    "DISTRIBUTION_COLUMNS",
    "DataImportError",
    "EMPLOYEE_COLUMNS",
    "FORMATS",
    "ImportProblem",
    "ImportResult",
    "MAX_RATERS_SHOWN",
    "POOL_COLUMNS",
    "RecordKind",
    "SkippedRecord",
    "dump_policy",
    "load_dataset",
    "load_policy",
    "policy_from_mapping",
    "policy_to_mapping",
    "result_csv",
    "result_csv_files",
    "result_html",
    "result_json",
    "write_dataset",
    "write_results",
]
