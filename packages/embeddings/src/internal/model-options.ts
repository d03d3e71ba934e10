import { z } from 'zod';
import { defaultModel, modelDtypes, modelIdPattern } from './model-layout.ts';

/** A Hub model id (`org/name`), the default model when omitted. */
export const modelIdOptionSchema = z
  .string()
  .regex(modelIdPattern, 'must be a model id such as Xenova/all-MiniLM-L6-v2')
  .default(defaultModel);

/** A weight format, `q8` when omitted. */
export const modelDtypeOptionSchema = z.enum(modelDtypes).default('q8');
