/**
 * The export compliance questionnaire (guide, "Part I: Red Hat Questionnaire"), answered by the
 * partner's legal representative. Every answer is required unless marked optional.
 */
import { z } from 'zod';
import { plainLine } from '../../platform/text.js';

/** A trimmed single line of 1 to `max` characters, plain text only (see platform/text). */
const line = plainLine;
const paragraph = (max: number) => z.string().trim().min(1).max(max);

/** License Exception ENC paragraphs of the U.S. Export Administration Regulations. */
export const ENC_EXCEPTIONS = [
  'not_applicable',
  '740.17(a)',
  '740.17(b)(1)',
  '740.17(b)(2)',
  '740.17(b)(3)',
  'unknown',
] as const;

/**
 * "Red Hat is NOT able to accept applications that are authorized for export as encryption items
 * under License Exception ENC §740.17(b)(2) and/or §740.17(a)."
 */
export const ENC_NOT_ACCEPTED: readonly string[] = ['740.17(a)', '740.17(b)(2)'];

/** How the product uses cryptography (required when it contains any). */
export const CryptographyAnswers = z
  .object({
    /** What the cryptography does: data at rest, in transit, authentication, licensing… */
    functions: paragraph(2000),
    /** Algorithms implemented or called, e.g. "AES", "RSA", "SHA-256". */
    algorithms: z.array(line(100)).min(1).max(50),
    /** Key lengths, e.g. "AES-256, RSA-2048". */
    keyLengths: line(500),
    /** True when the product only calls the operating system's cryptography (e.g. OpenSSL). */
    usesOperatingSystemCryptoOnly: z.boolean(),
  })
  .strict();

/** The partner's legal representative who answers the questionnaire. */
export const LegalRepresentative = z
  .object({
    name: line(100),
    title: line(100),
    email: z.email().max(254),
    phone: line(40)
      .regex(/^[0-9+()./ -]+$/, 'A phone number uses digits, spaces and + ( ) . / -')
      .optional(),
  })
  .strict();

/** The questionnaire's answers. */
export const ComplianceAnswers = z
  .object({
    /** Does the product contain, use or implement cryptography (encryption, signing, hashing)? */
    containsCryptography: z.boolean(),
    /** Required when `containsCryptography` is true. */
    cryptography: CryptographyAnswers.optional(),
    /** Is the product a mass-market item (sold to the public through ordinary retail channels)? */
    massMarket: z.boolean(),
    /** Under which License Exception ENC paragraph the product is authorized for export, if any. */
    licenseExceptionEnc: z.enum(ENC_EXCEPTIONS),
    /** Export Control Classification Number if known: `EAR99` or e.g. `5D002`, `5D992.c`. */
    eccn: z
      .string()
      .trim()
      .regex(
        /^(EAR99|[0-9][A-E][0-9]{3}(\.[a-z0-9.]+)?)$/i,
        'An ECCN is EAR99 or like 5D002 / 5D992.c',
      )
      .optional(),
    /** Commodity classification (CCATS) number, if one was issued. */
    ccats: line(50).optional(),
    /** Countries where the product was developed (ISO 3166-1 alpha-2 codes). */
    countriesOfDevelopment: z
      .array(z.string().regex(/^[A-Z]{2}$/, 'An ISO 3166-1 alpha-2 country code, e.g. US'))
      .min(1)
      .max(50),
    legalRepresentative: LegalRepresentative,
    /** Anything else the evaluation should know. */
    additionalInformation: paragraph(10_000).optional(),
  })
  .strict()
  .superRefine((a, ctx) => {
    if (a.containsCryptography && a.cryptography === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['cryptography'],
        message: 'Describe the cryptography the product contains',
      });
    }
    if (!a.containsCryptography && a.cryptography !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['cryptography'],
        message: 'Leave out cryptography details when the product contains none',
      });
    }
  });
export type ComplianceAnswers = z.infer<typeof ComplianceAnswers>;
