/**
 * The company profile of "Become a partner": Company details and Connect details, stored as one
 * JSON document in `companies.profile`, and which of its fields are mandatory (the guide's "*").
 */
import { z } from 'zod';
import { readJson } from '../../platform/db/index.js';
import { plainLine } from '../../platform/text.js';

/** Company sizes offered by the profile form. */
export const COMPANY_SIZES = ['1-10', '11-50', '51-200', '201-1000', '1001-5000', '5001+'] as const;

/** Partner types of the Connect details (multi-select). */
export const PARTNER_TYPES = [
  'ISV',
  'IHV',
  'Cloud and Service Provider',
  'System Integrator',
  'OEM',
  'Training Partner',
] as const;

/** Dotted paths of the profile fields that must have a value (the form's "*" fields). */
export const MANDATORY_PROFILE_FIELDS = [
  'legalName',
  'address.street',
  'address.city',
  'address.postalCode',
  'address.country',
  'phone',
  'website',
  'description',
  'companySize',
  'industry',
  'partnerTypes',
  'primaryContact.name',
  'primaryContact.email',
] as const;

const regions = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
/** Codes Intl names that are not assigned ISO 3166-1 countries. */
const NOT_COUNTRIES = new Set(['ZZ', 'EU', 'EZ', 'UN', 'QO']);

/** True for an assigned ISO 3166-1 alpha-2 code (upper case). */
export function isCountryCode(code: string): boolean {
  return /^[A-Z]{2}$/.test(code) && !NOT_COUNTRIES.has(code) && regions.of(code) !== undefined;
}

const COUNTRY_MESSAGE = 'An ISO 3166-1 alpha-2 country code, e.g. "US"';

/** A trimmed single line of 1 to `max` characters, plain text only (see platform/text). */
const line = plainLine;
const nullable = <T extends z.ZodType>(schema: T) => schema.nullable().optional();

const Contact = z
  .object({
    /** Full name. */
    name: nullable(line(200)),
    /** E-mail address. */
    email: nullable(z.email().max(254)),
  })
  .strict();

/**
 * Profile fields as sent by the client; every field is optional and `null` clears it, so the
 * same schema serves registration (partial) and later edits (merged into what is stored).
 */
export const ProfileInput = z
  .object({
    /** Company details: the registered legal name. */
    legalName: nullable(line(200)),
    /** Company details: postal address. */
    address: nullable(
      z
        .object({
          street: nullable(line(200)),
          city: nullable(line(100)),
          postalCode: nullable(line(20)),
          /** ISO 3166-1 alpha-2, e.g. "DE". */
          country: nullable(
            z
              .string()
              .trim()
              // Two letters first (so the OpenAPI document shows the pattern), then assigned.
              .regex(/^[A-Za-z]{2}$/, { message: COUNTRY_MESSAGE, abort: true })
              .toUpperCase()
              .refine(isCountryCode, COUNTRY_MESSAGE)
              .meta({
                description: 'ISO 3166-1 alpha-2 country code (stored upper-case)',
                examples: ['DE'],
              }),
          ),
        })
        .strict(),
    ),
    /** Company details: main telephone number. */
    phone: nullable(
      line(40).regex(/^[0-9+()./ -]+$/, 'A phone number uses digits, spaces and + ( ) . / -'),
    ),
    /** Company details: web site (http or https). */
    website: nullable(
      z
        .url({ protocol: /^https?$/, hostname: z.regexes.domain })
        .max(2048)
        .describe('http(s) URL of the company web site'),
    ),
    /** Company details: what the company does (plain text). */
    description: nullable(z.string().trim().min(1).max(4000)),
    /** Company details: number of employees. */
    companySize: nullable(z.enum(COMPANY_SIZES)),
    /** Company details: industry, e.g. "Telecommunications". */
    industry: nullable(line(100)),
    /** Connect details: partner type(s). */
    partnerTypes: nullable(
      z
        .array(z.enum(PARTNER_TYPES))
        .min(1)
        .max(PARTNER_TYPES.length)
        .refine((a) => new Set(a).size === a.length, 'Each partner type once'),
    ),
    /** Connect details: who the program talks to. */
    primaryContact: nullable(Contact),
    /** Connect details: technical contact for certification questions. */
    technicalContact: nullable(Contact),
    /** Connect details: program areas of interest (zones, software access…). */
    programInterests: nullable(
      z
        .array(line(100))
        .max(20)
        .refine((a) => new Set(a).size === a.length, 'Each interest once'),
    ),
  })
  .strict();
export type ProfileInput = z.infer<typeof ProfileInput>;

const ContactOut = z.object({ name: z.string().nullable(), email: z.string().nullable() });

/** The stored profile as the API shows it: every field present, `null` when unset. */
export const ProfileSchema = z.object({
  legalName: z.string().nullable(),
  address: z.object({
    street: z.string().nullable(),
    city: z.string().nullable(),
    postalCode: z.string().nullable(),
    country: z.string().nullable(),
  }),
  phone: z.string().nullable(),
  website: z.string().nullable(),
  description: z.string().nullable(),
  companySize: z.string().nullable(),
  industry: z.string().nullable(),
  partnerTypes: z.array(z.string()),
  primaryContact: ContactOut,
  technicalContact: ContactOut,
  programInterests: z.array(z.string()),
});
export type Profile = z.infer<typeof ProfileSchema>;

type Doc = Record<string, unknown>;

/** Applies an edit to a stored document: `null` removes a field, objects merge one level deep. */
export function mergeProfile(stored: unknown, input: ProfileInput): Doc {
  const doc: Doc = { ...asDoc(stored) };
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) {
      continue;
    }
    if (value === null) {
      delete doc[key];
    } else if (typeof value === 'object' && !Array.isArray(value)) {
      const inner: Doc = { ...asDoc(doc[key]) };
      for (const [k, v] of Object.entries(value as Doc)) {
        if (v === null) {
          delete inner[k];
        } else if (v !== undefined) {
          inner[k] = v;
        }
      }
      doc[key] = inner;
    } else {
      doc[key] = value;
    }
  }
  return doc;
}

/** The stored document (raw column value or parsed) as the API shows it. */
export function profileView(stored: unknown): Profile {
  const doc = asDoc(stored);
  const address = asDoc(doc.address);
  return {
    legalName: str(doc.legalName),
    address: {
      street: str(address.street),
      city: str(address.city),
      postalCode: str(address.postalCode),
      country: str(address.country),
    },
    phone: str(doc.phone),
    website: str(doc.website),
    description: str(doc.description),
    companySize: str(doc.companySize),
    industry: str(doc.industry),
    partnerTypes: strings(doc.partnerTypes),
    primaryContact: contact(doc.primaryContact),
    technicalContact: contact(doc.technicalContact),
    programInterests: strings(doc.programInterests),
  };
}

/**
 * Whether a stored profile has every mandatory field, and which are missing (dotted paths of
 * `MANDATORY_PROFILE_FIELDS`, in form order).
 */
export function profileCompleteness(stored: unknown): {
  complete: boolean;
  missingFields: string[];
} {
  const doc = asDoc(stored);
  const missingFields = MANDATORY_PROFILE_FIELDS.filter((path) => {
    const value = path.split('.').reduce<unknown>((at, key) => asDoc(at)[key], doc);
    return Array.isArray(value)
      ? value.length === 0
      : typeof value !== 'string' || value.trim() === '';
  });
  return { complete: missingFields.length === 0, missingFields };
}

function asDoc(raw: unknown): Doc {
  const value = typeof raw === 'string' ? safeParse(raw) : raw;
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Doc) : {};
}

function safeParse(text: string): unknown {
  try {
    return readJson(text);
  } catch {
    return undefined;
  }
}

function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function contact(value: unknown): { name: string | null; email: string | null } {
  const doc = asDoc(value);
  return { name: str(doc.name), email: str(doc.email) };
}
