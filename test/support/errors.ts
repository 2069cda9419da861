import { expect } from 'chai';
import { CdcError, InvalidOptionError } from '../../lib/errors.js';

type ErrorClass<E> = abstract new (...args: never[]) => E;

function caught<E>(cls: ErrorClass<E>, fn: () => unknown): E {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(cls);
    return err as E;
  }
  throw new Error(`expected a ${cls.name}`);
}

async function rejected<E>(cls: ErrorClass<E>, p: Promise<unknown>): Promise<E> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(cls);
    return err as E;
  }
  throw new Error(`expected a ${cls.name}`);
}

/** Runs `fn`, which must throw an InvalidOptionError, and returns that error for further checks. */
export const optionError = (fn: () => unknown): InvalidOptionError => caught(InvalidOptionError, fn);

/** The same for a promise: it must reject with an InvalidOptionError, which is returned. */
export const optionRejection = (p: Promise<unknown>): Promise<InvalidOptionError> => rejected(InvalidOptionError, p);

/** Runs `fn`, which must throw a CdcError, and returns it. */
export const cdcError = (fn: () => unknown): CdcError => caught(CdcError, fn);

/** A promise that must reject with a CdcError, which is returned. */
export const cdcRejection = (p: Promise<unknown>): Promise<CdcError> => rejected(CdcError, p);
