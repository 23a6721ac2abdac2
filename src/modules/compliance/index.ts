/** Export compliance: what other modules may call. */
export type * from './tables.js';
export { complianceModule } from './module.js';
export { addBusinessDays, TURNAROUND_BUSINESS_DAYS } from './business-days.js';
export { ComplianceAnswers } from './questionnaire.js';
export { questionnaireOf } from './service.js';
