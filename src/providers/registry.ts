import { bamboohr } from './bamboohr.js';
import { greenhouse } from './greenhouse.js';
import { hibob } from './hibob.js';
import { personio } from './personio.js';
import type { Provider } from './types.js';

/**
 * The HR systems with their own webhook format (`POST /webhooks/<name>`). Adding one is a module
 * exporting a {@link Provider} and a line here.
 */
export const PROVIDERS: readonly Provider[] = [bamboohr, greenhouse, hibob, personio];
