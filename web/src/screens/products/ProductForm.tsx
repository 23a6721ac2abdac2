/**
 * The guide's "Create partner product" form, for a new product and for editing one: name, brief
 * overview, filtered-HTML description with a live preview of what will be kept, product types,
 * "Use Company Logo", product / download URLs, catalog location and the contact distribution list.
 */
import {
  ActionGroup,
  Checkbox,
  FormGroup,
  FormHelperText,
  HelperText,
  HelperTextItem,
  TextArea,
} from '@patternfly/react-core';
import type { ReactNode } from 'react';
import type { Problem } from '../../api/client';
import type { paths } from '../../api/schema';
import { FieldHelp } from '../../components/FieldError';
import { SubmitButton, TextField } from '../../components/FormParts';
import { ProblemAlert } from '../../components/ProblemAlert';
import { DESCRIPTION_LIMIT, Description } from './description';

/** A product as the API returns it. */
export type Product =
  paths['/api/v1/products/{id}']['get']['responses'][200]['content']['application/json'];

/** Product types of the multi-select ("select all that apply"). */
export const PRODUCT_TYPES = [
  'Storage',
  'Networking',
  'Compute',
  'Security',
  'Management',
  'Other',
] as const;
type ProductType = (typeof PRODUCT_TYPES)[number];

export type ProductField =
  | 'name'
  | 'overview'
  | 'description'
  | 'productTypes'
  | 'useCompanyLogo'
  | 'productUrl'
  | 'downloadUrl'
  | 'catalogLocation'
  | 'contacts'
  | 'versions';
export const PRODUCT_FIELDS: readonly ProductField[] = [
  'name',
  'overview',
  'description',
  'productTypes',
  'useCompanyLogo',
  'productUrl',
  'downloadUrl',
  'catalogLocation',
  'contacts',
  'versions',
];
/** Problems that concern one field. */
export const PRODUCT_FIELD_CODES: Readonly<Record<string, ProductField>> = {
  'product.name_taken': 'name',
  'product.contacts_required': 'contacts',
  'product.contacts_too_many': 'contacts',
  'product.description_empty': 'description',
  'product_version.taken': 'versions',
};

/** The form's values as typed. */
export interface ProductValues {
  name: string;
  overview: string;
  description: string;
  productTypes: ProductType[];
  useCompanyLogo: boolean;
  productUrl: string;
  downloadUrl: string;
  catalogLocation: string;
  contacts: string;
}

/** Empty values, or a product's. */
export function productValues(product?: Product): ProductValues {
  return {
    name: product?.name ?? '',
    overview: product?.overview ?? '',
    description: product?.description ?? '',
    productTypes: (product?.productTypes ?? []).filter((t): t is ProductType =>
      (PRODUCT_TYPES as readonly string[]).includes(t),
    ),
    useCompanyLogo: product?.useCompanyLogo ?? false,
    productUrl: product?.productUrl ?? '',
    downloadUrl: product?.downloadUrl ?? '',
    catalogLocation: product?.catalogLocation ?? '',
    contacts: (product?.contacts ?? []).join('\n'),
  };
}

/** The contacts typed, one a line (or separated by commas). */
export function contactList(text: string): string[] {
  return text
    .split(/[\n,;]+/)
    .map((c) => c.trim())
    .filter((c) => c !== '');
}

/** The fields the API takes, from the values (empty optional URLs as null). */
export function productBody(v: ProductValues) {
  return {
    name: v.name.trim(),
    overview: v.overview.trim(),
    description: v.description,
    productTypes: v.productTypes,
    useCompanyLogo: v.useCompanyLogo,
    productUrl: v.productUrl.trim(),
    downloadUrl: v.downloadUrl.trim() === '' ? null : v.downloadUrl.trim(),
    catalogLocation: v.catalogLocation.trim() === '' ? null : v.catalogLocation.trim(),
    contacts: contactList(v.contacts),
  };
}

/** The messages of the checks made before sending. */
export function checkProduct(v: ProductValues): Partial<Record<ProductField, string>> {
  const errors: Partial<Record<ProductField, string>> = {};
  if (v.name.trim() === '') {
    errors.name = 'Product Name is required.';
  }
  if (v.overview.trim() === '') {
    errors.overview = 'Brief Overview is required.';
  }
  if (v.description.trim() === '') {
    errors.description = 'Product Description is required.';
  }
  if (v.description.length > DESCRIPTION_LIMIT) {
    errors.description = `Content is limited to ${DESCRIPTION_LIMIT} characters.`;
  }
  if (v.productTypes.length === 0) {
    errors.productTypes = 'Select at least one product type.';
  }
  if (v.productUrl.trim() === '') {
    errors.productUrl = 'Product URL is required.';
  }
  if (contactList(v.contacts).length === 0) {
    errors.contacts = 'The Product Contact Distribution List must contain at least one email.';
  }
  return errors;
}

/** The form's fields; `extra` goes before the actions (versions and logo of a new product). */
export function ProductFields({
  values,
  onChange,
  errors,
  problem,
  pending,
  submitLabel,
  extra,
}: {
  values: ProductValues;
  onChange: (next: ProductValues) => void;
  errors: Partial<Record<ProductField, string>>;
  problem: Problem | undefined;
  pending: boolean;
  submitLabel: string;
  extra?: ReactNode;
}) {
  const set = <K extends keyof ProductValues>(key: K, value: ProductValues[K]) =>
    onChange({ ...values, [key]: value });
  const remaining = DESCRIPTION_LIMIT - values.description.length;
  return (
    <>
      <TextField
        id="name"
        label="Product Name"
        value={values.name}
        onChange={(v) => set('name', v)}
        error={errors.name}
        hint="Unique in your company; shown in the certified product catalog."
      />
      <TextField
        id="overview"
        label="Brief Overview"
        value={values.overview}
        onChange={(v) => set('overview', v)}
        error={errors.overview}
        hint="One line shown on the catalog card."
      />
      <FormGroup label="Product Description" isRequired fieldId="description">
        <TextArea
          id="description"
          name="description"
          value={values.description}
          onChange={(_e, v) => set('description', v)}
          validated={errors.description === undefined ? 'default' : 'error'}
          aria-describedby="description-help description-remaining"
          isRequired
          rows={8}
          resizeOrientation="vertical"
        />
        <FieldHelp
          id="description"
          error={errors.description}
          hint="Text format: Filtered HTML. Allowed tags: p, br, strong, em, ul, ol, li, a (http, https or mailto links), h2–h4, code, pre, blockquote; anything else is removed."
        />
        <FormHelperText>
          <HelperText id="description-remaining">
            <HelperTextItem variant={remaining < 0 ? 'error' : 'default'}>
              Content limited to {DESCRIPTION_LIMIT} characters, remaining: {remaining}
            </HelperTextItem>
          </HelperText>
        </FormHelperText>
      </FormGroup>
      <section aria-labelledby="preview-title">
        <h3 id="preview-title" className="hm-title">
          Preview: what will be kept
        </h3>
        <Description html={values.description} id="description-preview" />
      </section>
      <FormGroup
        label="Product type (select all that apply)"
        isRequired
        fieldId="productTypes"
        role="group"
        isStack
      >
        {PRODUCT_TYPES.map((type) => (
          <Checkbox
            key={type}
            id={`productType-${type}`}
            label={type}
            isChecked={values.productTypes.includes(type)}
            onChange={(_e, checked) =>
              set(
                'productTypes',
                checked
                  ? PRODUCT_TYPES.filter((t) => t === type || values.productTypes.includes(t))
                  : values.productTypes.filter((t) => t !== type),
              )
            }
            aria-describedby="productTypes-help"
          />
        ))}
        <FieldHelp id="productTypes" error={errors.productTypes} hint="At least one." />
      </FormGroup>
      <Checkbox
        id="useCompanyLogo"
        label="Use Company Logo"
        description="Show your company’s logo instead of a product logo."
        isChecked={values.useCompanyLogo}
        onChange={(_e, checked) => set('useCompanyLogo', checked)}
      />
      <TextField
        id="productUrl"
        label="Product URL"
        type="url"
        value={values.productUrl}
        onChange={(v) => set('productUrl', v)}
        error={errors.productUrl}
        hint="The product’s web page (http or https)."
      />
      <TextField
        id="downloadUrl"
        label="Download URL"
        type="url"
        required={false}
        value={values.downloadUrl}
        onChange={(v) => set('downloadUrl', v)}
        error={errors.downloadUrl}
      />
      <TextField
        id="catalogLocation"
        label="Catalog Location"
        type="url"
        required={false}
        value={values.catalogLocation}
        onChange={(v) => set('catalogLocation', v)}
        error={errors.catalogLocation}
        hint="Does this product already exist in the catalog? Its address there."
      />
      <FormGroup label="Product Contact Distribution List" isRequired fieldId="contacts">
        <TextArea
          id="contacts"
          name="contacts"
          value={values.contacts}
          onChange={(_e, v) => set('contacts', v)}
          validated={errors.contacts === undefined ? 'default' : 'error'}
          aria-describedby="contacts-help"
          isRequired
          rows={3}
          resizeOrientation="vertical"
        />
        <FieldHelp
          id="contacts"
          error={errors.contacts}
          hint="One e-mail address a line. The list must contain at least one email."
        />
      </FormGroup>
      {extra}
      <ProblemAlert problem={problem} />
      <ActionGroup>
        <SubmitButton pending={pending}>{submitLabel}</SubmitButton>
      </ActionGroup>
    </>
  );
}
