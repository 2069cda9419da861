import { expect } from 'chai';
import { InvalidOptionError } from '../../lib/errors.js';

/** Runs `fn`, which must throw an InvalidOptionError, and returns that error for further checks. */
export function optionError(fn: () => unknown): InvalidOptionError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(InvalidOptionError);
    return err as InvalidOptionError;
  }
  throw new Error('expected an InvalidOptionError');
}

/** The same for a promise: it must reject with an InvalidOptionError, which is returned. */
export async function optionRejection(p: Promise<unknown>): Promise<InvalidOptionError> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(InvalidOptionError);
    return err as InvalidOptionError;
  }
  throw new Error('expected an InvalidOptionError');
}
