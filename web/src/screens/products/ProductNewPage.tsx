/**
 * "Create partner product": the guide's form, with the versions to create (at least one, so a
 * project can be created for each) and an optional logo. Org admins only.
 */
import { Button, Form, FormGroup, PageSection, TextInput, Title } from '@patternfly/react-core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router-dom';
import { api, ok, problemOf, type Problem } from '../../api/client';
import { formErrors } from '../../api/problems';
import { FieldHelp } from '../../components/FieldError';
import { LinkButton } from '../../components/LinkButton';
import { NotFound } from '../../components/NotFound';
import { RequireSession } from '../../components/RequireSession';
import '../partner.css';
import {
  checkProduct,
  PRODUCT_FIELD_CODES,
  PRODUCT_FIELDS,
  productBody,
  ProductFields,
  productValues,
  type ProductField,
} from './ProductForm';
import { LOGO_ACCEPT, uploadLogo } from './uploads';

/** The new product screen. */
export default function ProductNewPage() {
  return (
    <RequireSession>
      {(user) =>
        user.companyId === null || !user.orgAdmin ? (
          <NotFound
            title="Only organization administrators add products"
            detail="Ask an organization administrator of your company to add the product."
          />
        ) : (
          <NewProduct />
        )
      }
    </RequireSession>
  );
}

function NewProduct() {
  const navigate = useNavigate();
  const client = useQueryClient();
  const [values, setValues] = useState(productValues());
  const [versions, setVersions] = useState<string[]>(['']);
  const [logo, setLogo] = useState<File | undefined>(undefined);
  const [errors, setErrors] = useState<Partial<Record<ProductField, string>>>({});
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  const create = useMutation({
    mutationFn: async () => {
      const product = ok(
        await api.POST('/api/v1/products', {
          body: {
            ...productBody(values),
            versions: versions.map((v) => v.trim()).filter((v) => v !== ''),
          },
        }),
      );
      if (logo !== undefined) {
        try {
          await uploadLogo(product.id, logo);
        } catch {
          // The product exists: its page shows the logo form again.
          return { id: product.id, logoFailed: true };
        }
      }
      return { id: product.id, logoFailed: false };
    },
    onSuccess: ({ id, logoFailed }) => {
      void client.invalidateQueries({ queryKey: ['products'] });
      void navigate(`/products/${id}${logoFailed ? '?logo=failed' : ''}`);
    },
    onError: (err) => {
      const found = formErrors(problemOf(err), PRODUCT_FIELDS, PRODUCT_FIELD_CODES);
      setErrors(found.fields);
      setProblem(found.form);
    },
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found = checkProduct(values);
    if (versions.every((v) => v.trim() === '')) {
      found.versions = 'Add at least one version: a project is created for each.';
    }
    setErrors(found);
    setProblem(undefined);
    if (Object.keys(found).length === 0) {
      create.mutate();
    }
  };

  return (
    <PageSection>
      <LinkButton variant="link" isInline to="/products">
        All products
      </LinkButton>
      <Title headingLevel="h1" size="2xl" className="hm-title">
        Create partner product
      </Title>
      <p>
        The product information you enter will be used to feed the certified product catalog after
        certification is complete and approved, therefore verify all information is correct.
      </p>
      <Form
        onSubmit={submit}
        noValidate
        aria-label="Create partner product"
        className="hm-partner-form"
      >
        <ProductFields
          values={values}
          onChange={setValues}
          errors={errors}
          problem={problem}
          pending={create.isPending}
          submitLabel="Submit"
          extra={
            <>
              <FormGroup label="Product Logo" fieldId="logo">
                <input
                  id="logo"
                  type="file"
                  accept={LOGO_ACCEPT}
                  aria-describedby="logo-help"
                  onChange={(e) => setLogo(e.target.files?.[0])}
                />
                <FieldHelp
                  id="logo"
                  hint="Files must be less than 15 MB. Allowed file types: png gif jpg jpeg."
                />
              </FormGroup>
              <FormGroup
                label="Partner Product Versions"
                isRequired
                fieldId="version-0"
                role="group"
              >
                {versions.map((version, i) => (
                  <div className="hm-partner-actions" key={i}>
                    <TextInput
                      id={`version-${i}`}
                      aria-label={`Product version ${i + 1}`}
                      value={version}
                      onChange={(_e, v) =>
                        setVersions(versions.map((old, j) => (j === i ? v : old)))
                      }
                      aria-describedby="versions-help"
                      validated={errors.versions === undefined ? 'default' : 'error'}
                    />
                    {versions.length > 1 ? (
                      <Button
                        variant="link"
                        onClick={() => setVersions(versions.filter((_v, j) => j !== i))}
                        aria-label={`Remove version ${i + 1}`}
                      >
                        Remove
                      </Button>
                    ) : null}
                  </div>
                ))}
                <Button variant="link" isInline onClick={() => setVersions([...versions, ''])}>
                  Add new Version
                </Button>
                <FieldHelp
                  id="versions"
                  error={errors.versions}
                  hint="If the product comes in multiple versions, add each: a project is created for each version."
                />
              </FormGroup>
            </>
          }
        />
      </Form>
    </PageSection>
  );
}
