/** Multipart uploads of the products API (the logo and collateral); the CSRF header goes along. */
import { api, done } from '../../api/client';

/**
 * Uploads `file` as the product's logo.
 * @throws ProblemError
 */
export async function uploadLogo(productId: string, file: File): Promise<void> {
  const form = new FormData();
  form.append('file', file);
  done(
    await api.PUT('/api/v1/products/{id}/logo', {
      params: { path: { id: productId } },
      body: form as never,
    }),
  );
}

/**
 * Adds a collateral document titled `title`.
 * @throws ProblemError
 */
export async function uploadCollateral(
  productId: string,
  title: string,
  file: File,
): Promise<void> {
  const form = new FormData();
  // The title first: the server reads the fields that come before the file.
  form.append('title', title);
  form.append('file', file);
  done(
    await api.POST('/api/v1/products/{id}/collateral', {
      params: { path: { id: productId } },
      body: form as never,
    }),
  );
}

/** The logo file types and size the API takes. */
export const LOGO_ACCEPT = 'image/png,image/gif,image/jpeg';
