import { UpstreamError } from '../upstream-error.js';

/**
 * A DocSpace call that did not succeed (see {@link UpstreamError}). A 429 from DocSpace makes every
 * worker hold its DocSpace requests, not only the one that saw it.
 */
export class DocspaceError extends UpstreamError {
  override name = 'DocspaceError' as const;

  constructor(init: ConstructorParameters<typeof UpstreamError>[1]) {
    super(init.kind === 'passing' ? 'ERR_DOCSPACE_PASSING' : 'ERR_DOCSPACE_LASTING', init);
  }
}
