/**
 * A product: edit the guide's form, its logo ("Use Company Logo" or an upload), its versions
 * (add, edit, remove), its collateral (upload, download, delete), and delete the product behind a
 * confirmation. Org admins change it; other users of the company see it.
 */
import {
  Alert,
  Button,
  EmptyState,
  EmptyStateBody,
  Form,
  FormGroup,
  Modal,
  ModalBody,
  ModalFooter,
  ModalHeader,
  PageSection,
  TextInput,
  Title,
} from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useNavigate, useParams, useSearchParams } from 'react-router-dom';
import { api, done, ok, problemOf, type Problem, type User } from '../../api/client';
import { formErrors } from '../../api/problems';
import { FieldHelp } from '../../components/FieldError';
import { LinkButton } from '../../components/LinkButton';
import { Loading } from '../../components/Loading';
import { NotFound } from '../../components/NotFound';
import { ProblemAlert } from '../../components/ProblemAlert';
import { RequireSession } from '../../components/RequireSession';
import { formatDate, httpUrl } from '../../format';
import '../partner.css';
import { Description } from './description';
import {
  checkProduct,
  PRODUCT_FIELD_CODES,
  PRODUCT_FIELDS,
  productBody,
  ProductFields,
  productValues,
  type Product,
  type ProductField,
} from './ProductForm';
import { LOGO_ACCEPT, uploadCollateral, uploadLogo } from './uploads';

/** The product screen. */
export default function ProductPage() {
  const { id = '' } = useParams();
  return <RequireSession>{(user) => <ProductScreen id={id} user={user} />}</RequireSession>;
}

function ProductScreen({ id, user }: { id: string; user: User }) {
  const [search] = useSearchParams();
  const query = useQuery({
    queryKey: ['products', id],
    queryFn: async () => ok(await api.GET('/api/v1/products/{id}', { params: { path: { id } } })),
  });
  if (query.isLoading) {
    return <Loading label="Loading the product" />;
  }
  if (query.isError) {
    const problem = problemOf(query.error);
    if (problem.status === 404 || problem.status === 400) {
      return <NotFound title="Product not found" detail="There is no product at this address." />;
    }
    return (
      <PageSection>
        <ProblemAlert problem={problem} title="The product could not be loaded" />
      </PageSection>
    );
  }
  if (query.data === undefined) {
    return null;
  }
  const product = query.data;
  const canEdit = user.orgAdmin && user.companyId === product.companyId;
  return (
    <>
      <PageSection>
        <LinkButton variant="link" isInline to="/products">
          All products
        </LinkButton>
        <Title headingLevel="h1" size="2xl" className="hm-title">
          {product.name}
        </Title>
        {search.get('logo') === 'failed' ? (
          <Alert variant="warning" isInline title="The product was created, but its logo was not">
            Upload the logo again below.
          </Alert>
        ) : null}
        {canEdit ? null : (
          <Alert variant="info" isInline title="Only organization administrators change products" />
        )}
      </PageSection>
      {canEdit ? <EditProduct product={product} /> : <ProductDetails product={product} />}
      <Logo product={product} canEdit={canEdit} />
      <Versions product={product} canEdit={canEdit} />
      <Collateral product={product} canEdit={canEdit} />
      {canEdit ? <DeleteProduct product={product} /> : null}
    </>
  );
}

/** The product as read-only text, for users who cannot change it. */
function ProductDetails({ product }: { product: Product }) {
  return (
    <PageSection aria-labelledby="details-title">
      <Title headingLevel="h2" id="details-title" className="hm-title">
        Product details
      </Title>
      <p>{product.overview}</p>
      <Description html={product.description} />
      <p className="hm-partner-section">Product types: {product.productTypes.join(', ')}</p>
      <p className="hm-partner-wrap">Product URL: {product.productUrl ?? '—'}</p>
      <p className="hm-partner-wrap">Contacts: {product.contacts.join(', ')}</p>
    </PageSection>
  );
}

function EditProduct({ product }: { product: Product }) {
  const client = useQueryClient();
  const [values, setValues] = useState(() => productValues(product));
  const [errors, setErrors] = useState<Partial<Record<ProductField, string>>>({});
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  const save = useMutation({
    mutationFn: async () =>
      ok(
        await api.PATCH('/api/v1/products/{id}', {
          params: { path: { id: product.id } },
          body: productBody(values),
        }),
      ),
    onSuccess: (data) => {
      client.setQueryData(['products', product.id], data);
      setValues(productValues(data));
      void client.invalidateQueries({ queryKey: ['products'] });
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
    setErrors(found);
    setProblem(undefined);
    if (Object.keys(found).length === 0) {
      save.mutate();
    }
  };
  return (
    <PageSection aria-labelledby="edit-title">
      <Title headingLevel="h2" id="edit-title" className="hm-title">
        Product details
      </Title>
      {save.isSuccess ? (
        <Alert variant="success" isInline title="The product is saved" aria-live="polite" />
      ) : null}
      <Form onSubmit={submit} noValidate aria-label="Edit the product" className="hm-partner-form">
        <ProductFields
          values={values}
          onChange={setValues}
          errors={errors}
          problem={problem}
          pending={save.isPending}
          submitLabel="Save the product"
        />
      </Form>
    </PageSection>
  );
}

function Logo({ product, canEdit }: { product: Product; canEdit: boolean }) {
  const client = useQueryClient();
  const [file, setFile] = useState<File | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const refresh = () => void client.invalidateQueries({ queryKey: ['products', product.id] });
  const upload = useMutation({
    mutationFn: (f: File) => uploadLogo(product.id, f),
    onSuccess: refresh,
  });
  const remove = useMutation({
    mutationFn: async () =>
      done(
        await api.DELETE('/api/v1/products/{id}/logo', { params: { path: { id: product.id } } }),
      ),
    onSuccess: refresh,
  });
  const logoUrl = httpUrl(product.logo?.url);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (file === undefined) {
      setError('Choose a png, gif or jpeg file.');
      return;
    }
    setError(undefined);
    upload.mutate(file);
  };
  return (
    <PageSection aria-labelledby="logo-title">
      <Title headingLevel="h2" id="logo-title" className="hm-title">
        Product Logo
      </Title>
      {logoUrl === undefined ? (
        <p>No logo yet.</p>
      ) : (
        <p>
          <img
            src={`${logoUrl}${logoUrl.includes('?') ? '&' : '?'}v=${encodeURIComponent(product.updatedAt)}`}
            alt={`Logo of ${product.name}`}
            className="hm-partner-logo"
          />
          <br />
          {product.logo?.source === 'company' ? 'Your company’s logo (Use Company Logo).' : null}
        </p>
      )}
      {canEdit ? (
        <Form onSubmit={submit} noValidate aria-label="Upload the product logo">
          <FormGroup label="Logo file" fieldId="logo-file">
            <input
              id="logo-file"
              type="file"
              accept={LOGO_ACCEPT}
              aria-describedby="logo-file-help"
              onChange={(e) => setFile(e.target.files?.[0])}
            />
            <FieldHelp
              id="logo-file"
              error={error}
              hint="Files must be less than 15 MB. Allowed file types: png gif jpg jpeg."
            />
          </FormGroup>
          <ProblemAlert problem={upload.isError ? problemOf(upload.error) : undefined} />
          <ProblemAlert problem={remove.isError ? problemOf(remove.error) : undefined} />
          <div className="hm-partner-actions">
            <Button
              type="submit"
              variant="secondary"
              isLoading={upload.isPending}
              isDisabled={upload.isPending}
            >
              Upload
            </Button>
            {product.logo?.source === 'product' ? (
              <Button
                variant="link"
                isDanger
                onClick={() => remove.mutate()}
                isDisabled={remove.isPending}
              >
                Remove the logo
              </Button>
            ) : null}
          </div>
        </Form>
      ) : null}
    </PageSection>
  );
}

function Versions({ product, canEdit }: { product: Product; canEdit: boolean }) {
  const client = useQueryClient();
  const [adding, setAdding] = useState('');
  const [editing, setEditing] = useState<{ id: string; version: string } | undefined>(undefined);
  const [addError, setAddError] = useState<string | undefined>(undefined);
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  const refresh = () => void client.invalidateQueries({ queryKey: ['products', product.id] });
  const onError = (err: unknown) => setProblem(problemOf(err));
  const add = useMutation({
    mutationFn: async (version: string) =>
      ok(
        await api.POST('/api/v1/products/{id}/versions', {
          params: { path: { id: product.id } },
          body: { version },
        }),
      ),
    onSuccess: () => {
      setAdding('');
      setProblem(undefined);
      refresh();
    },
    onError,
  });
  const rename = useMutation({
    mutationFn: async (v: { id: string; version: string }) =>
      ok(
        await api.PATCH('/api/v1/products/{id}/versions/{versionId}', {
          params: { path: { id: product.id, versionId: v.id } },
          body: { version: v.version.trim() },
        }),
      ),
    onSuccess: () => {
      setEditing(undefined);
      setProblem(undefined);
      refresh();
    },
    onError,
  });
  const remove = useMutation({
    mutationFn: async (versionId: string) =>
      done(
        await api.DELETE('/api/v1/products/{id}/versions/{versionId}', {
          params: { path: { id: product.id, versionId } },
        }),
      ),
    onSuccess: () => {
      setProblem(undefined);
      refresh();
    },
    onError,
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (adding.trim() === '') {
      setAddError('Type the version, e.g. “1.x”.');
      return;
    }
    setAddError(undefined);
    add.mutate(adding.trim());
  };
  return (
    <PageSection aria-labelledby="versions-title">
      <Title headingLevel="h2" id="versions-title" className="hm-title">
        Partner Product Versions
      </Title>
      {product.versions.length === 0 ? (
        <p>No versions yet: add one to create a project for it.</p>
      ) : (
        <Table aria-label="Partner Product Versions" variant="compact" gridBreakPoint="grid-md">
          <Thead>
            <Tr>
              <Th>Product version</Th>
              <Th>Added</Th>
              {canEdit ? <Th>Operations</Th> : null}
            </Tr>
          </Thead>
          <Tbody>
            {product.versions.map((v) => (
              <Tr key={v.id}>
                <Td dataLabel="Product version" className="hm-partner-wrap">
                  {editing?.id === v.id ? (
                    <TextInput
                      aria-label={`New name of version ${v.version}`}
                      value={editing.version}
                      onChange={(_e, value) => setEditing({ id: v.id, version: value })}
                    />
                  ) : (
                    v.version
                  )}
                </Td>
                <Td dataLabel="Added">{formatDate(v.createdAt)}</Td>
                {canEdit ? (
                  <Td dataLabel="Operations">
                    <div className="hm-partner-actions">
                      {editing?.id === v.id ? (
                        <>
                          <Button
                            variant="secondary"
                            onClick={() => rename.mutate(editing)}
                            isLoading={rename.isPending}
                            isDisabled={rename.isPending || editing.version.trim() === ''}
                          >
                            Save
                          </Button>
                          <Button variant="link" onClick={() => setEditing(undefined)}>
                            Cancel
                          </Button>
                        </>
                      ) : (
                        <>
                          <Button
                            variant="link"
                            isDanger
                            onClick={() => remove.mutate(v.id)}
                            isDisabled={remove.isPending}
                            aria-label={`Remove version ${v.version}`}
                          >
                            Remove
                          </Button>
                          <Button
                            variant="link"
                            onClick={() => setEditing({ id: v.id, version: v.version })}
                            aria-label={`Edit version ${v.version}`}
                          >
                            Edit
                          </Button>
                        </>
                      )}
                    </div>
                  </Td>
                ) : null}
              </Tr>
            ))}
          </Tbody>
        </Table>
      )}
      <ProblemAlert problem={problem} />
      {canEdit ? (
        <Form
          onSubmit={submit}
          noValidate
          aria-label="Add new Version"
          className="hm-partner-section hm-narrow"
        >
          <FormGroup label="New version" fieldId="new-version">
            <TextInput
              id="new-version"
              value={adding}
              onChange={(_e, v) => setAdding(v)}
              aria-describedby="new-version-help"
              validated={addError === undefined ? 'default' : 'error'}
            />
            <FieldHelp
              id="new-version"
              error={addError}
              hint="If the product comes in multiple versions, add each: a project is created for each version."
            />
          </FormGroup>
          <div>
            <Button
              type="submit"
              variant="secondary"
              isLoading={add.isPending}
              isDisabled={add.isPending}
            >
              Add new Version
            </Button>
          </div>
        </Form>
      ) : null}
    </PageSection>
  );
}

function Collateral({ product, canEdit }: { product: Product; canEdit: boolean }) {
  const client = useQueryClient();
  const key = ['products', product.id, 'collateral'];
  const [title, setTitle] = useState('');
  const [file, setFile] = useState<File | undefined>(undefined);
  const [fileInput, setFileInput] = useState(0);
  const [errors, setErrors] = useState<{ title?: string; file?: string }>({});
  const list = useQuery({
    queryKey: key,
    queryFn: async () =>
      ok(
        await api.GET('/api/v1/products/{id}/collateral', {
          params: { path: { id: product.id }, query: { pageSize: 100 } },
        }),
      ),
  });
  const upload = useMutation({
    mutationFn: (v: { title: string; file: File }) => uploadCollateral(product.id, v.title, v.file),
    onSuccess: () => {
      setTitle('');
      setFile(undefined);
      setFileInput((n) => n + 1);
      void client.invalidateQueries({ queryKey: key });
    },
  });
  const remove = useMutation({
    mutationFn: async (cid: string) =>
      done(
        await api.DELETE('/api/v1/products/{id}/collateral/{cid}', {
          params: { path: { id: product.id, cid } },
        }),
      ),
    onSuccess: () => void client.invalidateQueries({ queryKey: key }),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found: { title?: string; file?: string } = {};
    if (title.trim() === '') {
      found.title = 'Give the document a title.';
    }
    if (file === undefined) {
      found.file = 'Choose the file to upload.';
    }
    setErrors(found);
    if (found.title === undefined && file !== undefined) {
      upload.mutate({ title: title.trim(), file });
    }
  };
  return (
    <PageSection aria-labelledby="collateral-title">
      <Title headingLevel="h2" id="collateral-title" className="hm-title">
        Collateral
      </Title>
      <p>Documentation and marketing material about the product.</p>
      {list.isLoading ? (
        <Loading label="Loading the collateral" />
      ) : list.isError ? (
        <ProblemAlert problem={problemOf(list.error)} title="The collateral could not be loaded" />
      ) : list.data === undefined ? null : list.data.items.length === 0 ? (
        <EmptyState titleText="No collateral yet" headingLevel="h3">
          <EmptyStateBody>Upload documents with “Add new Collateral” below.</EmptyStateBody>
        </EmptyState>
      ) : (
        <Table aria-label="Collateral" variant="compact" gridBreakPoint="grid-md">
          <Thead>
            <Tr>
              <Th>Title</Th>
              <Th>File</Th>
              <Th>Size</Th>
              <Th>Added</Th>
              <Th screenReaderText="Actions" />
            </Tr>
          </Thead>
          <Tbody>
            {list.data.items.map((c) => (
              <Tr key={c.id}>
                <Td dataLabel="Title" className="hm-partner-wrap">
                  {c.title}
                </Td>
                <Td dataLabel="File" className="hm-partner-wrap">
                  {c.fileName}
                </Td>
                <Td dataLabel="Size">{formatSize(c.size)}</Td>
                <Td dataLabel="Added">{formatDate(c.createdAt)}</Td>
                <Td dataLabel="Actions">
                  <div className="hm-partner-actions">
                    <Button
                      variant="link"
                      component="a"
                      href={`/api/v1/products/${product.id}/collateral/${c.id}`}
                      download={c.fileName}
                      aria-label={`Download ${c.title}`}
                    >
                      Download
                    </Button>
                    {canEdit ? (
                      <Button
                        variant="link"
                        isDanger
                        onClick={() => remove.mutate(c.id)}
                        isDisabled={remove.isPending}
                        aria-label={`Delete ${c.title}`}
                      >
                        Delete
                      </Button>
                    ) : null}
                  </div>
                </Td>
              </Tr>
            ))}
          </Tbody>
        </Table>
      )}
      <ProblemAlert problem={remove.isError ? problemOf(remove.error) : undefined} />
      {canEdit ? (
        <Form
          onSubmit={submit}
          noValidate
          aria-label="Add new Collateral"
          className="hm-partner-section hm-narrow"
        >
          <Title headingLevel="h3">Add new Collateral</Title>
          <FormGroup label="Title" isRequired fieldId="collateral-title-input">
            <TextInput
              id="collateral-title-input"
              value={title}
              onChange={(_e, v) => setTitle(v)}
              isRequired
              aria-describedby="collateral-title-input-help"
              validated={errors.title === undefined ? 'default' : 'error'}
            />
            <FieldHelp id="collateral-title-input" error={errors.title} />
          </FormGroup>
          <FormGroup label="File" isRequired fieldId="collateral-file">
            <input
              key={fileInput}
              id="collateral-file"
              type="file"
              aria-describedby="collateral-file-help"
              onChange={(e) => setFile(e.target.files?.[0])}
            />
            <FieldHelp
              id="collateral-file"
              error={errors.file}
              hint="A PDF, image, office document, zip or plain text file of at most 50 MB."
            />
          </FormGroup>
          <ProblemAlert problem={upload.isError ? problemOf(upload.error) : undefined} />
          <div>
            <Button
              type="submit"
              variant="secondary"
              isLoading={upload.isPending}
              isDisabled={upload.isPending}
            >
              Upload
            </Button>
          </div>
        </Form>
      ) : null}
    </PageSection>
  );
}

function DeleteProduct({ product }: { product: Product }) {
  const client = useQueryClient();
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);
  const remove = useMutation({
    mutationFn: async () =>
      done(await api.DELETE('/api/v1/products/{id}', { params: { path: { id: product.id } } })),
    onSuccess: () => {
      client.removeQueries({ queryKey: ['products', product.id] });
      void client.invalidateQueries({ queryKey: ['products'] });
      void navigate('/products');
    },
  });
  return (
    <PageSection aria-labelledby="delete-title">
      <Title headingLevel="h2" id="delete-title" className="hm-title">
        Delete the product
      </Title>
      <p>A product that a certification project uses cannot be deleted.</p>
      <Button variant="danger" onClick={() => setOpen(true)}>
        Delete the product
      </Button>
      <Modal
        variant="small"
        isOpen={open}
        onClose={() => setOpen(false)}
        aria-labelledby="delete-product-title"
      >
        <ModalHeader title="Delete this product?" labelId="delete-product-title" />
        <ModalBody>
          “{product.name}”, its versions, logo and collateral are deleted. This cannot be undone.
          <ProblemAlert problem={remove.isError ? problemOf(remove.error) : undefined} />
        </ModalBody>
        <ModalFooter>
          <Button
            variant="danger"
            isLoading={remove.isPending}
            isDisabled={remove.isPending}
            onClick={() => remove.mutate()}
          >
            Delete
          </Button>
          <Button variant="link" onClick={() => setOpen(false)}>
            Cancel
          </Button>
        </ModalFooter>
      </Modal>
    </PageSection>
  );
}

/** A size in bytes as "12 kB". */
function formatSize(bytes: number): string {
  if (bytes < 1024) {
    return `${bytes} B`;
  }
  if (bytes < 1024 * 1024) {
    return `${Math.round(bytes / 1024)} kB`;
  }
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
