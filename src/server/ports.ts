/**
 * Answers a lower module gets from higher ones, composed here where every module is in view
 * (see docs/architecture.md, "Module picture"): each is built only from the modules' public
 * functions.
 */
import { onErrataDrop, projectBuildFacts } from '../modules/builds/index.js';
import type { GradedImages } from '../modules/health/index.js';
import {
  imageLabels,
  imagesUsingSet,
  imagesUsingSets,
  projectImageFacts,
  publishedSetsAmong,
} from '../modules/images/index.js';
import { productFacts, productNamesAndContacts } from '../modules/products/index.js';
import type { ProjectFacts } from '../modules/projects/index.js';

/** What projects show and check of their products, images and Build Service. */
export const projectFacts: ProjectFacts = {
  products: productFacts,
  images: projectImageFacts,
  builds: projectBuildFacts,
};

/**
 * What the health module's grading asks of images; drop e-mails go to the products' contacts,
 * and drops for want of errata to the builds module, which rebuilds auto-rebuilding projects.
 */
export const gradedImages: GradedImages = {
  publishedSets: publishedSetsAmong,
  usingSet: imagesUsingSet,
  usingSets: imagesUsingSets,
  errataDrop: onErrataDrop,
  async dropNotices(db, ids) {
    const labels = await imageLabels(db, ids);
    const products = await productNamesAndContacts(
      db,
      labels.flatMap((l) => (l.productId === null ? [] : [l.productId])),
    );
    return labels.map((label) => {
      const product = label.productId === null ? undefined : products.get(label.productId);
      return {
        id: label.id,
        image: label.reference,
        digest: label.digest,
        title: product?.name ?? label.projectName,
        to: product?.contacts ?? [],
      };
    });
  },
};
