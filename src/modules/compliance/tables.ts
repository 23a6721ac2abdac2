/** Row types of the tables the compliance module owns; the block at the end adds them to `DB`. */
import type { Timestamp, JsonColumn } from '../../platform/db/index.js';

/** Status of an export compliance questionnaire. */
export type ExportComplianceStatus =
  'submitted' | 'approved' | 'deferred' | 'information_requested' | 'declined';

/** A company's export compliance questionnaire and the staff decision. */
export interface ExportComplianceTable {
  id: string;
  company_id: string;
  product_id: string | null;
  answers: JsonColumn;
  status: ExportComplianceStatus;
  submitted_by: string;
  submitted_at: Timestamp;
  /** Five business days after submission. */
  due_at: Timestamp;
  decided_by: string | null;
  decided_at: Timestamp | null;
  updated_at: Timestamp;
}

/** Follow-up questions from staff, the partner's answers, decision notes. */
export interface ExportComplianceMessagesTable {
  id: string;
  compliance_id: string;
  author_id: string;
  kind: 'question' | 'answer' | 'decision';
  body: string;
  created_at: Timestamp;
}

declare module '../../platform/db/schema.js' {
  interface DB {
    export_compliance: ExportComplianceTable;
    export_compliance_messages: ExportComplianceMessagesTable;
  }
}
